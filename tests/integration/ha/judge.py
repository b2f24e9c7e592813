"""Bounds and checks the fault-injection tests share.

The bounds are the issue's targets plus a margin for a loaded 2-core machine (eight
helpers' tests, workers and servers share it): wide enough not to flake, narrow
enough that a detector that waits for the periodic status, or a failover that
waits for a restart, fails them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Fault, Hub
from tickhub_harness.failover_stream import NS, StreamReport, analyse

HEARTBEAT_TIMEOUT_S = 1.5
CANARY_TIMEOUT_S = 1.5
MARGIN_S = 1.5
"""Scheduling slack on a loaded machine, added to every detection target."""
DEAD_OR_HUNG_WITHIN_S = 2.0 + MARGIN_S
"""The issue's 2 s for a dead or hung worker, plus the margin."""
STALLED_WITHIN_S = CANARY_TIMEOUT_S + 0.5 + MARGIN_S
"""The canary timeout (plus the health check's resolution), plus the margin."""
HOT_GAP_S = 1.0
"""In hot mode a backup already carries every tick: the client's longest wait between
two ticks of a contract stays near the tick interval (0.1 s); a failover that waited
for detection (>= 1.5 s) would exceed this."""


async def tail(hub: Hub, seconds: float = 1.5) -> int:
    """Let the stream run ``seconds`` more (the window's end must be after the last
    expected tick's arrival); the instant it ends."""
    end = now_ns() + round(seconds * NS)
    await hub.until(lambda: now_ns() >= end, seconds + 10, "the tail of the window")
    return end


def judge(
    hub: Hub,
    start_ns: int,
    end_ns: int,
    *,
    excused: Mapping[str, Sequence[tuple[int, int]]] | Sequence[tuple[int, int]] = (),
) -> StreamReport:
    return analyse(hub.recorder.since(start_ns - 5 * NS), hub.stream, start_ns, end_ns,
                   excused=excused)  # fmt: skip


def assert_lossless(report: StreamReport, hub: Hub, max_gap_s: float = HOT_GAP_S) -> None:
    """Every expected tick once, in order, with the sim's content, no long wait."""
    why = f"{report.summary()}\n{hub.diagnostics()}"
    assert report.expected > 0, why
    assert report.lost == 0, why
    assert report.duplicated == 0, why
    assert report.out_of_order == 0, why
    assert report.mismatched == 0, why
    assert report.longest_gap_s <= max_gap_s, why
    assert not hub.recorder.errors, hub.recorder.errors[:5]


def assert_detected(seconds: float, bound: float, fault: Fault, hub: Hub) -> None:
    assert seconds <= bound, (
        f"{fault.kind} of {fault.source} judged UNHEALTHY after {seconds:.2f} s "
        f"(bound {bound} s)\n{hub.diagnostics()}"
    )
