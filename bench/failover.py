"""The failover benchmark: what a ZeroMQ client sees when the primary source fails.

For each mode (hot, cold) one hub of real processes (:mod:`tickhub_harness.failover_hub`):
two sims printing the same stream, the primary ``sim-a`` and the backup ``sim-b``
(20 ms behind, as a slower line would be). Each repetition waits for the steady
state (the primary HEALTHY, routed, its ticks at the client, its restart count
forgotten), fails the primary one way — SIGKILL of its worker, a stall (connected
and beating, no ticks), a hang (SIGSTOP) — and waits until the pool healed: the
primary hard-restarted, HEALTHY again and routed back after its hold time. The
client's stream over the whole repetition, failover and failback included, is
judged against the sims' known stream (:mod:`tickhub_harness.failover_stream`).

Thresholds are the shipped defaults where the targets are about them (heartbeat
timeout 1.5 s, canary timeout 3 s); restart cool-down, failback hold and backoff
reset are short so that a repetition takes seconds instead of a minute.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Fault, Hub
from tickhub_harness.failover_stream import NS, StreamReport, analyse
from tickhub_harness.pool import sim_source

Mode = Literal["hot", "cold"]
FaultKind = Literal["kill", "stall", "hang"]
MODES: tuple[Mode, ...] = ("hot", "cold")
FAULTS: tuple[FaultKind, ...] = ("kill", "stall", "hang")

PRIMARY, BACKUP = "sim-a", "sim-b"
HEARTBEAT_TIMEOUT_S = 1.5
CANARY_TIMEOUT_S = 3.0
RESET_S = 2.0
ENV = {
    "TICKHUB_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
    "TICKHUB_CANARY_TIMEOUT_S": str(CANARY_TIMEOUT_S),
    "TICKHUB_RESTART_COOLDOWN_S": "1",
    "TICKHUB_FAILBACK_HOLD_S": "2",
    "TICKHUB_RESTART_RESET_S": str(RESET_S),
    "TICKHUB_LOG_LEVEL": "WARNING",
}
CHECK_S = 0.2
"""The health service's check interval (TICKHUB_HEALTH_CHECK_INTERVAL_S, default)."""
CANARY_INTERVAL_S = 0.1
"""The canary's tick interval at the sims' 10 ticks/s."""
DETECT_TARGET_S: dict[FaultKind, float] = {
    "kill": 2.0,
    "hang": 2.0,
    "stall": CANARY_TIMEOUT_S + CANARY_INTERVAL_S + CHECK_S,
}
"""The issue's targets: a dead or hung worker within 2 s, a stalled feed within the
canary timeout. A stall's silence is measured from the canary's last tick, up to one
tick interval before the stall, and a verdict comes at a health check: "within the
canary timeout" is read as within the timeout plus those two (3.3 s)."""
COLD_GAP_MARGIN_S = 1.0
"""Cold mode's target: the gap is at most the detection time plus this."""
STEP_TIMEOUT_S = 60.0
LEAD_S = 1.0
"""Judged window starts this long before the fault ..."""
TAIL_S = 1.5
"""... and ends this long after the primary carries the stream again."""


@dataclass
class Rep:
    mode: Mode
    fault: FaultKind
    detection_s: float | None = None
    cause: str = ""
    """The UNHEALTHY verdict's cause."""
    switched_s: float | None = None
    """Fault to the FailoverEvent moving the contracts off the primary."""
    healed_s: float | None = None
    """Fault to the primary carrying the stream again (restart, HEALTHY, failback)."""
    report: StreamReport | None = None
    failover_gap_s: float | None = None
    """Longest gap in the part of the window before the primary came back."""
    error: str = ""

    def line(self) -> str:
        if self.error:
            return f"{self.mode}/{self.fault}: FAILED {self.error}"
        r = self.report
        assert r is not None
        return (
            f"{self.mode}/{self.fault}: detected {self.detection_s:.2f} s ({self.cause}), switched "
            f"{_s(self.switched_s)}, healed {_s(self.healed_s)}; lost {r.lost} dup "
            f"{r.duplicated} ooo {r.out_of_order} mismatched {r.mismatched} gap "
            f"{r.longest_gap_s:.3f} s (failover {_s(self.failover_gap_s)})"
        )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


@dataclass
class Row:
    mode: Mode
    fault: FaultKind
    reps: list[Rep] = field(default_factory=list)

    @property
    def done(self) -> list[Rep]:
        return [r for r in self.reps if not r.error]


async def _steady(hub: Hub) -> None:
    """The primary HEALTHY long enough that its restart count was forgotten, routed
    to, and carrying the stream."""
    await hub.serving(PRIMARY, STEP_TIMEOUT_S)

    def settled() -> bool:
        health = hub.bus.latest_health(PRIMARY)
        if health is None or health.state != "HEALTHY":
            return False
        return (time.time() - health.since.timestamp()) > RESET_S + 0.5

    await hub.until(settled, STEP_TIMEOUT_S, f"{PRIMARY} HEALTHY for {RESET_S} s")
    await hub.serving(PRIMARY, STEP_TIMEOUT_S)


async def _inject(hub: Hub, kind: FaultKind) -> Fault:
    if kind == "kill":
        return hub.inject("kill", PRIMARY)
    if kind == "hang":
        return hub.inject("hang", PRIMARY)
    return await hub.stall(PRIMARY)


async def one_rep(hub: Hub, mode: Mode, kind: FaultKind) -> Rep:
    rep = Rep(mode, kind)
    await _steady(hub)
    start = now_ns() - round(LEAD_S * NS)
    fault = await _inject(hub, kind)
    detection, verdict = await hub.detected(fault, STEP_TIMEOUT_S)
    rep.detection_s = detection
    rep.cause = verdict.cause
    await hub.recovered(fault, STEP_TIMEOUT_S)
    back = await hub.serving(PRIMARY, STEP_TIMEOUT_S)
    rep.healed_s = (back - fault.at_ns) / NS
    moved = hub.bus.failovers.find(lambda e: e.from_source == PRIMARY, fault.at_ns)
    if moved:
        rep.switched_s = (moved[0].at_ns - fault.at_ns) / NS
    end = now_ns() + round(TAIL_S * NS)
    await hub.until(lambda: now_ns() >= end, TAIL_S + 5, "the tail of the window")
    arrivals = hub.recorder.since(start - 5 * NS)
    rep.report = analyse(arrivals, hub.stream, start, end)
    rep.failover_gap_s = analyse(arrivals, hub.stream, start, back).longest_gap_s
    return rep


async def run_mode(mode: Mode, faults: Sequence[FaultKind], reps: int, workdir: Path) -> list[Row]:
    rows = [Row(mode, kind) for kind in faults]
    hub: Hub | None = None
    attempt = 0
    try:
        for i in range(reps):
            for row in rows:
                if hub is None:
                    attempt += 1
                    hub = Hub(
                        workdir / f"{mode}{attempt}",
                        [sim_source(PRIMARY, 1), sim_source(BACKUP, 2, delay_ms=20.0)],
                        mode=mode,
                        env=ENV,
                    )
                    await hub.start()
                    await hub.ready(STEP_TIMEOUT_S)
                try:
                    rep = await one_rep(hub, mode, row.fault)
                except (AssertionError, TimeoutError) as error:
                    rep = Rep(mode, row.fault, error=str(error).splitlines()[0][:200])
                    # A hub that did not heal is replaced, so one failure is one failure.
                    await hub.close()
                    hub = None
                row.reps.append(rep)
                print(f"   [{i + 1}/{reps}] {rep.line()}", flush=True)
    finally:
        if hub is not None:
            await hub.close()
    return rows


def run(
    reps: int, modes: Sequence[Mode] = MODES, faults: Sequence[FaultKind] = FAULTS
) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tickhub-failover-") as tmp:
        for mode in modes:
            print(f"== failover, {mode} mode: {', '.join(faults)} x {reps}", flush=True)
            rows += asyncio.run(run_mode(mode, faults, reps, Path(tmp)))
    return rows


# --- the table ----------------------------------------------------------------------------


def _p50_max(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def table(rows: Sequence[Row]) -> str:
    """The generated section of docs/benchmarks.md."""
    lines = [
        "| mode | fault | reps | lost | duplicated | out of order | longest gap s (p50 / max) "
        "| detection s (p50 / max) | routing switched s (p50 / max) | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        done = row.done
        reports = [r.report for r in done if r.report is not None]
        lost = sum(r.lost for r in reports)
        dup = sum(r.duplicated for r in reports)
        ooo = sum(r.out_of_order for r in reports)
        gaps = [r.longest_gap_s for r in reports]
        detections = [r.detection_s for r in done if r.detection_s is not None]
        switches = [r.switched_s for r in done if r.switched_s is not None]
        limit = DETECT_TARGET_S[row.fault]
        detect_ok = sum(1 for d in detections if d <= limit)
        if row.mode == "hot":
            target = f"0 lost, 0 dup; detected ≤ {limit:g} s"
            met = sum(
                1
                for r in done
                if r.report is not None
                and r.report.lost == 0
                and r.report.duplicated == 0
                and r.detection_s is not None
                and r.detection_s <= limit
            )
        else:
            target = f"gap ≤ detection + {COLD_GAP_MARGIN_S:g} s; detected ≤ {limit:g} s"
            met = sum(
                1
                for r in done
                if r.report is not None
                and r.detection_s is not None
                and r.report.longest_gap_s <= r.detection_s + COLD_GAP_MARGIN_S
                and r.detection_s <= limit
            )
        failed = len(row.reps) - len(done)
        reps = f"{len(done)}" + (f" (+{failed} failed)" if failed else "")
        lines.append(
            f"| {row.mode} | {row.fault} | {reps} | {lost} | {dup} | {ooo} | {_p50_max(gaps)} "
            f"| {_p50_max(detections)} | {_p50_max(switches)} | {target} | {met}/{len(row.reps)} "
            f"(detection {detect_ok}/{len(detections)}) |"
        )
    errors = [f"- {r.mode}/{r.fault}: {r.error}" for row in rows for r in row.reps if r.error]
    if errors:
        lines += ["", "Repetitions that did not complete:", *errors]
    return "\n".join(lines)
