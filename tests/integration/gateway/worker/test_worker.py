"""Real worker processes (real vnpy EventEngine and SimGateway) on a real nats-server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from nats.aio.client import Client

from tickhub_cli.natsserver import NatsServer
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import (
    Connection,
    Heartbeat,
    LogRecord,
    Tick,
    WorkerCommand,
    contracts_digest,
)
from tickhub_gateway.protocol import CRASH_EXIT_CODE
from tickhub_gateway.sources.sim.feed import NS, SimFeed, period_ns
from tickhub_gateway.sources.sim.gateway import DISCONNECT_CODE, LOGIN_REJECTED_CODE
from tickhub_gateway.worker.convert import tick_message
from tickhub_runtime.settings import Settings

from ..conftest import (
    CANARY,
    CONTRACTS,
    START_TIMEOUT,
    Workers,
    alive,
    inbox,
    sim,
    tick_inbox,
    until,
)

SLOT_NS = period_ns(2.0)

# Fields that differ between sources by design (who, and when it arrived).
PER_SOURCE = {"source", "gateway_name", "received_ns", "live", "localtime"}


def slot_of(tick: Tick) -> int:
    ns = round(tick.datetime.timestamp() * 1e6) * 1_000
    assert ns % SLOT_NS == 0, f"{tick.datetime} is not on a slot boundary"
    return ns // SLOT_NS


def of_contract(vt_symbol: str) -> Callable[[Tick], bool]:
    return lambda t: t.vt_symbol == vt_symbol


def content(tick: Tick) -> dict[str, object]:
    return {f: getattr(tick, f) for f in tick.__struct_fields__ if f not in PER_SOURCE}


async def test_a_sim_worker_publishes_complete_ticks_and_a_heartbeat_every_second(
    nc: Client, workers: Workers
):
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    conns = await inbox(nc, subjects.connection("sim-a"), Connection)
    logs = await inbox(nc, subjects.log("gateway", "sim-a"), LogRecord)
    proc = await workers.start(sim("sim-a"))

    await conns.wait_for(lambda c: c.state == "connected", START_TIMEOUT)
    assert [c.state for c in conns.values][:2] == ["connecting", "connected"]
    for vt_symbol in CONTRACTS:
        await ticks.wait_for(of_contract(vt_symbol))

    for subject, tick in ticks.items:
        assert subject == subjects.ticks("sim-a", tick.exchange)
        assert tick.source == "sim-a" and tick.gateway_name == "sim-a" and tick.live
        assert tick.datetime.utcoffset() == timedelta(hours=8)
        # Exactly the sim market's tick for its slot: every field, nothing lost.
        expected = tick_message(
            SimFeed(tick.vt_symbol).tick(slot_of(tick), "sim-a"), "sim-a", tick.received_ns, True
        )
        assert tick == expected
        for name in ("last_price", "bid_price_5", "ask_price_5", "high_price", "limit_up"):
            assert getattr(tick, name) is not None
        assert 0 <= tick.received_ns - slot_of(tick) * SLOT_NS < 5 * NS

    first = len(beats.items)
    await beats.wait_count(lambda b: True, first + 3, within=10)
    recent = beats.values[-3:]
    assert [b.seq for b in recent] == list(range(recent[0].seq, recent[0].seq + 3))
    for earlier, later in pairwise(recent):
        gap = (later.at - earlier.at).total_seconds()
        assert 0.5 < gap < 1.6, gap
    beat = recent[-1]
    assert beat.pid == proc.pid and beat.connected
    assert beat.canary == CANARY and beat.canary_tick_at is not None
    assert beat.canary_received_at is not None and beat.last_tick_at is not None
    assert beat.subscribed_digest == contracts_digest(CONTRACTS) and beat.ticks_total > 0
    assert beat.subscribed_count == len(set(CONTRACTS))

    # Its own lines and vnpy's EVENT_LOG lines reach the bus as LogRecords.
    await logs.wait_for(lambda r: "行情服务器登录成功" in r.message)
    await logs.wait_for(lambda r: "connection connected" in r.message)
    assert all(r.service == "gateway" and r.source == "sim-a" for r in logs.values)


async def test_two_sim_workers_print_identical_ticks_for_the_same_slot(
    nc: Client, workers: Workers
):
    ticks = await tick_inbox(nc, "tickhub.ticks.*.SHFE", "rb2605.SHFE")
    await workers.start(sim("sim-a", contracts=["rb2605.SHFE"]))
    await workers.start(sim("sim-b", contracts=["rb2605.SHFE"], delay_ms=150))

    def both_have_six_common_slots(_: Tick) -> bool:
        a = {slot_of(t) for t in ticks.values if t.source == "sim-a"}
        b = {slot_of(t) for t in ticks.values if t.source == "sim-b"}
        return len(a & b) >= 6

    await ticks.wait_for(both_have_six_common_slots, START_TIMEOUT)
    by_source: dict[str, dict[int, Tick]] = {"sim-a": {}, "sim-b": {}}
    for tick in ticks.values:
        by_source[tick.source][slot_of(tick)] = tick
    common = sorted(by_source["sim-a"].keys() & by_source["sim-b"].keys())
    for slot in common:
        assert content(by_source["sim-a"][slot]) == content(by_source["sim-b"][slot])
    # sim-b's configured delay: none of its ticks arrives before slot time + 150 ms.
    for slot, tick in by_source["sim-b"].items():
        assert tick.received_ns - slot * SLOT_NS >= 150_000_000
    # Consecutive slots, none skipped, within each source's run.
    for ticks_of in by_source.values():
        slots = sorted(ticks_of)
        assert slots == list(range(slots[0], slots[-1] + 1))


async def test_phase_groups_spread_a_slot_and_two_sims_still_agree(nc: Client, workers: Workers):
    contracts = ["rb2605.SHFE", "au2602.SHFE", "m2605.DCE", "SR605.CZCE", "IF2512.CFFEX"]
    ticks = await tick_inbox(nc, "tickhub.ticks.>")
    for name, delay in (("sim-a", 0.0), ("sim-b", 40.0)):
        await workers.start(
            sim(name, contracts=contracts, ticks_per_second=2.0, phase_groups=5, delay_ms=delay)
        )

    def three_rounds(_: Tick) -> bool:
        return sum(t.source == "sim-b" for t in ticks.values) >= 3 * len(contracts)

    await ticks.wait_for(three_rounds, START_TIMEOUT)
    phases = {
        t.vt_symbol: round(t.datetime.timestamp() * 1e6) * 1_000 % SLOT_NS for t in ticks.values
    }
    # Contracts tick at several instants of the slot, each at a fixed one, on the grid.
    assert len(set(phases.values())) > 1
    assert all(p % (SLOT_NS // 5) == 0 for p in phases.values())
    for tick in ticks.values:
        assert round(tick.datetime.timestamp() * 1e6) * 1_000 % SLOT_NS == phases[tick.vt_symbol]
    # ... and the two sources still print identical ticks (same exchange time too).
    by_key: dict[tuple[str, object], list[Tick]] = {}
    for tick in ticks.values:
        by_key.setdefault((tick.vt_symbol, tick.datetime), []).append(tick)
    pairs = [group for group in by_key.values() if len(group) == 2]
    assert len(pairs) >= 2 * len(contracts)
    for a, b in pairs:
        assert {a.source, b.source} == {"sim-a", "sim-b"}
        assert content(a) == content(b)


async def test_a_rejected_login_reports_code_3_and_never_ticks(nc: Client, workers: Workers):
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-x.>")
    beats = await inbox(nc, subjects.heartbeat("sim-x"), Heartbeat)
    conns = await inbox(nc, subjects.connection("sim-x"), Connection)
    await workers.start(sim("sim-x", fail_login=True))

    failed = await conns.wait_for(lambda c: c.state == "login_failed", START_TIMEOUT)
    assert failed.reason_code == LOGIN_REJECTED_CODE == 3
    assert "不合法的登录" in failed.message
    # Three heartbeats later (well over a slot of 0.5 s) still not one tick.
    seen = len(beats.items)
    await beats.wait_count(lambda b: True, seen + 3, within=10)
    assert not any(b.connected for b in beats.values)
    assert ticks.values == []
    assert "connected" not in [c.state for c in conns.values]


async def test_stall_resume_and_disconnect_faults_in_the_worker(nc: Client, workers: Workers):
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    conns = await inbox(nc, subjects.connection("sim-a"), Connection)
    await workers.start(sim("sim-a", contracts=["rb2605.SHFE"], reconnect_after_s=1.5))
    await ticks.wait_for(lambda t: True, START_TIMEOUT)

    def fault(kind: str) -> WorkerCommand:
        return WorkerCommand(action="fault", fault=kind)  # type: ignore[arg-type]

    # stall: connected, heartbeats go on, no tick of a slot after the request.
    reply = await workers.control(nc, "sim-a", fault("stall"))
    assert reply.ok, reply.error
    stalled_at = datetime.now(UTC)
    seen = len(beats.items)
    await beats.wait_count(lambda b: True, seen + 2, within=10)
    assert beats.values[-1].connected
    late = [t for t in ticks.values if t.datetime > stalled_at + timedelta(seconds=0.6)]
    assert late == []

    # resume: ticks flow again.
    assert (await workers.control(nc, "sim-a", fault("resume"))).ok
    resumed_at = datetime.now(UTC)
    await ticks.wait_for(lambda t: t.datetime > resumed_at)

    # disconnect: CTP's reason code, no ticks, then it reconnects by itself.
    before = len(conns.items)
    assert (await workers.control(nc, "sim-a", fault("disconnect"))).ok
    lost = await conns.wait_for(lambda c: c.state == "disconnected", after=before)
    assert lost.reason_code == DISCONNECT_CODE == 4097
    back = await conns.wait_for(lambda c: c.state == "connected", after=before)
    gap = (back.at - lost.at).total_seconds()
    assert 1.4 < gap < 5, gap
    states = [c.state for c in conns.values[before:]]
    assert states[:3] == ["disconnected", "connecting", "connected"]
    silent = [t for t in ticks.values if lost.at + timedelta(seconds=0.6) < t.datetime < back.at]
    assert silent == []
    await ticks.wait_for(lambda t: t.datetime > back.at)

    # hang belongs to the manager; a fault needs a kind.
    hang = await workers.control(nc, "sim-a", fault("hang"))
    assert not hang.ok and "manager" in (hang.error or "")
    bare = await workers.control(nc, "sim-a", WorkerCommand(action="fault"))
    assert not bare.ok and "kind" in (bare.error or "")


async def test_subscribe_and_unsubscribe_change_what_is_published(nc: Client, workers: Workers):
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    await workers.start(sim("sim-a", contracts=["m2605.DCE"]))
    await ticks.wait_for(lambda t: t.vt_symbol == "m2605.DCE", START_TIMEOUT)

    reply = await workers.control(
        nc, "sim-a", WorkerCommand(action="subscribe", vt_symbols=["au2602.SHFE"])
    )
    assert reply.ok, reply.error
    await ticks.wait_for(lambda t: t.vt_symbol == "au2602.SHFE")
    await beats.wait_for(
        lambda b: b.subscribed_digest == contracts_digest(["m2605.DCE", "au2602.SHFE", CANARY])
    )

    reply = await workers.control(
        nc, "sim-a", WorkerCommand(action="unsubscribe", vt_symbols=["m2605.DCE"])
    )
    assert reply.ok
    dropped_at = datetime.now(UTC)
    await beats.wait_for(lambda b: b.subscribed_digest == contracts_digest(["au2602.SHFE", CANARY]))
    seen = len(beats.items)
    await beats.wait_count(lambda b: True, seen + 2, within=10)
    assert not [
        t
        for t in ticks.values
        if t.vt_symbol == "m2605.DCE" and t.datetime > dropped_at + timedelta(seconds=0.6)
    ]

    for bad in (["rb2605"], ["rb2605.NOWHERE"], ["rb 2605.SHFE"]):
        refused = await workers.control(
            nc, "sim-a", WorkerCommand(action="subscribe", vt_symbols=bad)
        )
        assert not refused.ok and refused.error


async def test_the_crash_fault_exits_at_once_with_its_own_code(nc: Client, workers: Workers):
    conns = await inbox(nc, subjects.connection("sim-a"), Connection)
    proc = await workers.start(sim("sim-a"))
    await conns.wait_for(lambda c: c.state == "connected", START_TIMEOUT)
    await nc.publish(
        subjects.worker_control("sim-a"),
        codec.encode(WorkerCommand(action="fault", fault="crash")),
    )
    assert await asyncio.wait_for(proc.wait(), 10) == CRASH_EXIT_CODE == 70


async def test_sigterm_stops_a_worker_cleanly(nc: Client, workers: Workers):
    logs = await inbox(nc, subjects.log("gateway", "sim-a"), LogRecord)
    conns = await inbox(nc, subjects.connection("sim-a"), Connection)
    proc = await workers.start(sim("sim-a"))
    await conns.wait_for(lambda c: c.state == "connected", START_TIMEOUT)
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    await logs.wait_for(lambda r: r.message == "stopping")


async def test_a_stale_tick_is_published_but_not_live(nc: Client, gw_settings: Settings):
    # Ticks arriving 300 ms after their slot, with 100 ms allowed: all replays.
    stale = Workers(gw_settings.model_copy(update={"stale_tick_s": 0.1}))
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    try:
        await stale.start(sim("sim-a", delay_ms=300))
        await ticks.wait_count(lambda t: True, 6, START_TIMEOUT)
        beat = await beats.wait_for(lambda b: b.ticks_total >= 6)
    finally:
        await stale.close()
    assert not any(t.live for t in ticks.values)
    assert beat.last_tick_at is None and beat.canary_tick_at is None


async def test_each_worker_runs_in_its_own_directory_with_its_own_vntrader(
    nc: Client, workers: Workers, gw_settings: Settings
):
    beats = await inbox(nc, "tickhub.heartbeat.*", Heartbeat)
    a = await workers.start(sim("sim-a"))
    b = await workers.start(sim("sim-b"))
    await beats.wait_for(lambda h: h.pid == a.pid, START_TIMEOUT)
    await beats.wait_for(lambda h: h.pid == b.pid, START_TIMEOUT)
    root = gw_settings.data_dir.resolve() / "workers"
    for proc, name in ((a, "sim-a"), (b, "sim-b")):
        assert Path(os.readlink(f"/proc/{proc.pid}/cwd")) == root / name
        assert (root / name / ".vntrader").is_dir()


async def test_a_bad_config_on_stdin_is_one_clear_line_and_exit_2(gw_settings: Settings):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tickhub_gateway.worker",
        stdin=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=gw_settings.data_dir.parent,
    )
    _, err = await asyncio.wait_for(proc.communicate(b'{"name": "a"}'), 30)
    assert proc.returncode == 2
    text = err.decode()
    assert "bad source config" in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1


async def test_a_worker_whose_manager_dies_stops_by_itself(
    nc: Client, gw_settings: Settings, tmp_path: Path
):
    # A stand-in manager that starts a worker, prints its pid, then waits forever.
    script = tmp_path / "parent.py"
    script.write_text(
        "import asyncio, sys\n"
        "from tickhub_gateway.manager import process\n"
        "from tickhub_contracts import codec\n"
        "from tickhub_contracts.messages import SourceConfig\n"
        "from tickhub_runtime.settings import Settings\n"
        "async def main():\n"
        "    settings = Settings(nats_url=sys.argv[1], data_dir=sys.argv[2], _env_file=None)\n"
        "    config = codec.decode(sys.argv[3].encode(), SourceConfig)\n"
        "    proc = await process.spawn(config, settings)\n"
        "    print(proc.pid, flush=True)\n"
        "    await asyncio.sleep(3600)\n"
        "asyncio.run(main())\n"
    )
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    parent = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        gw_settings.resolved_nats_url,
        str(gw_settings.data_dir),
        codec.encode(sim("sim-a")).decode(),
        stdout=asyncio.subprocess.PIPE,
    )
    assert parent.stdout is not None
    worker_pid = int(await asyncio.wait_for(parent.stdout.readline(), 30))
    try:
        # Fully up (its heartbeat is on the bus) before its parent vanishes.
        await beats.wait_for(lambda b: b.pid == worker_pid, START_TIMEOUT)
        parent.kill()
        await parent.wait()
        await until(lambda: not alive(worker_pid), within=15)
    finally:
        if alive(worker_pid):
            os.kill(worker_pid, signal.SIGKILL)


async def test_a_worker_stops_on_sigterm_even_when_nats_is_frozen(
    nc: Client, workers: Workers, nats_server: NatsServer
):
    conns = await inbox(nc, subjects.connection("sim-a"), Connection)
    proc = await workers.start(sim("sim-a"))
    await conns.wait_for(lambda c: c.state == "connected", START_TIMEOUT)
    nats_server.freeze()  # half-open: sockets stay, nothing answers
    try:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        nats_server.thaw()
        await until(lambda: nc.is_connected, within=20)  # for the nc fixture's drain


async def test_a_late_sim_catches_up_every_slot_but_skips_what_is_too_old(
    nc: Client, workers: Workers
):
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    logs = await inbox(nc, subjects.log("gateway", "sim-a"), LogRecord)
    proc = await workers.start(sim("sim-a", contracts=["rb2605.SHFE"]))
    await ticks.wait_count(lambda t: True, 2, START_TIMEOUT)

    # Frozen for 1 s (under the 2 s catch-up): every slot still comes, in order.
    proc.send_signal(signal.SIGSTOP)
    await asyncio.sleep(1.0)  # the length of the freeze, not a synchronisation
    proc.send_signal(signal.SIGCONT)
    thawed = datetime.now(UTC)
    await ticks.wait_for(lambda t: t.datetime > thawed)
    slots = [slot_of(t) for t in ticks.values]
    assert slots == list(range(slots[0], slots[-1] + 1))

    # Frozen for 4 s: a real front does not replay that; the sim skips and says so.
    seen = len(ticks.items)
    proc.send_signal(signal.SIGSTOP)
    await asyncio.sleep(4.0)
    proc.send_signal(signal.SIGCONT)
    thawed = datetime.now(UTC)
    await ticks.wait_for(lambda t: t.datetime > thawed, after=seen)
    skipped = await logs.wait_for(lambda r: "skipped" in r.message)
    assert "behind" in skipped.message
    slots = [slot_of(t) for t in ticks.values]
    assert slots == sorted(slots) and len(set(slots)) == len(slots)
    missing = slots[-1] - slots[0] + 1 - len(slots)
    assert 1 <= missing <= 6, missing  # ~(4 s - 2 s) of 0.5 s slots
