"""The primary worker fails — killed, stalled, hung — under real services.

Each test: a pool printing the same stream (the primary first) — sims, or ``ctp``
accounts on local CTP fronts (:class:`~.conftest.Pair`) — every service a real
process, a ZeroMQ client recording. After the fault the health
service must judge the primary UNHEALTHY within the bound, the failover service
move its contracts and order a hard restart, the manager start a new process that
becomes HEALTHY, and the routing fail back after the hold time. Over the whole
window the client must see (hot mode) every tick once, in order, without a long
wait; (cold mode) a gap no longer than detection plus a second.
"""

from __future__ import annotations

from tickhub_contracts.messages import contracts_digest
from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Fault, Hub
from tickhub_harness.failover_stream import NS
from tickhub_harness.pool import CANARY, CONTRACTS, sim_source

from .conftest import MakeHub, Pair
from .judge import (
    DEAD_OR_HUNG_WITHIN_S,
    MARGIN_S,
    STALLED_WITHIN_S,
    assert_detected,
    assert_lossless,
    judge,
    tail,
)

FAILBACK_HOLD_S = 2.0


async def heal_and_fail_back(hub: Hub, fault: Fault, backup: str) -> None:
    """The contracts moved to ``backup``; the primary was restarted as a new process,
    became HEALTHY, and got the routing back no sooner than the hold time."""
    moved = await hub.bus.failovers.wait(
        lambda e: e.kind == "failover" and e.from_source == fault.source,
        20,
        fault.at_ns,
        "FailoverEvent off the primary",
    )
    assert moved.value.to_source == backup, hub.diagnostics()
    assert sorted(moved.value.contracts) == sorted(CONTRACTS), moved.value
    _, pid = await hub.recovered(fault)
    assert pid != fault.pid
    healthy = hub.bus.health.find(
        lambda h: h.source == fault.source and h.state == "HEALTHY" and h.pid == pid, fault.at_ns
    )[0]
    back = await hub.bus.failovers.wait(
        lambda e: e.kind == "failback" and e.to_source == fault.source,
        30,
        fault.at_ns,
        "FailoverEvent back to the primary",
    )
    held = (back.at_ns - healthy.at_ns) / NS
    assert held >= FAILBACK_HOLD_S - 0.3, f"failback after {held:.2f} s of HEALTHY"
    await hub.serving(fault.source)


async def test_sigkill_of_a_primary_of_either_kind_loses_no_tick(
    make_hub: MakeHub, pair: Pair
) -> None:
    hub = await make_hub(pair.sources, **pair.hub_kwargs())
    start = await hub.ready()
    await tail(hub, 0.5)

    fault = hub.inject("kill", pair.primary)
    seconds, verdict = await hub.detected(fault)
    assert_detected(seconds, DEAD_OR_HUNG_WITHIN_S, fault, hub)
    assert verdict.cause in ("process_exited", "heartbeat_lost"), verdict

    await heal_and_fail_back(hub, fault, pair.backup)
    report = judge(hub, start, await tail(hub))
    assert_lossless(report, hub)
    assert report.sources[pair.backup] > 0, "the backup never carried the stream"


async def test_a_stalled_primary_is_judged_by_its_canary_and_loses_no_tick(
    make_hub: MakeHub, pair: Pair
) -> None:
    hub = await make_hub(pair.sources, **pair.hub_kwargs())
    start = await hub.ready()
    await tail(hub, 0.5)

    # A sim stalls itself; a ctp source's front stalls (connected, beating, no ticks).
    fault = await hub.stall(pair.primary)
    seconds, verdict = await hub.detected(fault)
    assert_detected(seconds, STALLED_WITHIN_S, fault, hub)
    assert verdict.cause == "canary_stale", verdict
    assert verdict.connected, "a stalled feed stays connected"

    if pair.fronts:
        # A restarted worker logs in to the same front: it heals once the front works
        # again, which it does from the moment the restart is ordered.
        await hub.bus.restarts.wait(
            lambda r: r.source == pair.primary and r.action == "ordered",
            20,
            fault.at_ns,
            f"restart ordered for {pair.primary}",
        )
        pair.fronts[pair.primary].fault("clear")
    await heal_and_fail_back(hub, fault, pair.backup)
    report = judge(hub, start, await tail(hub))
    assert_lossless(report, hub)


async def test_a_hung_primary_is_judged_by_its_heartbeat_and_its_stale_burst_is_dropped(
    make_hub: MakeHub, pair: Pair
) -> None:
    hub = await make_hub(pair.sources, **pair.hub_kwargs())
    start = await hub.ready()
    await tail(hub, 0.5)

    fault = hub.inject("hang", pair.primary)  # SIGSTOP: alive, silent, sockets open
    seconds, verdict = await hub.detected(fault)
    assert_detected(seconds, DEAD_OR_HUNG_WITHIN_S, fault, hub)
    assert verdict.cause in ("heartbeat_lost", "process_hung"), verdict

    # The restart resumes the frozen worker before ending it: whatever it then prints
    # (slots it missed while frozen) is older than what the backup already delivered.
    await heal_and_fail_back(hub, fault, pair.backup)
    report = judge(hub, start, await tail(hub))
    assert_lossless(report, hub)


async def test_cold_mode_moves_the_contracts_within_detection_plus_a_second(
    make_hub: MakeHub,
) -> None:
    hub = await make_hub([sim_source("sim-a", 1), sim_source("sim-b", 2, delay_ms=20)], mode="cold")
    start = await hub.ready()
    backup_beat = await hub.bus.heartbeats.wait(
        lambda b: b.source == "sim-b", 10, now_ns(), "a heartbeat of sim-b"
    )
    assert backup_beat.value.subscribed_digest == contracts_digest([CANARY]), (
        f"cold mode: the backup holds {backup_beat.value.subscribed_count} contracts, not "
        "only its canary, before any failover"
    )
    await tail(hub, 0.5)

    fault = hub.inject("kill", "sim-a")
    seconds, _ = await hub.detected(fault)
    assert_detected(seconds, DEAD_OR_HUNG_WITHIN_S, fault, hub)
    served = await hub.serving("sim-b")
    assign = (served - fault.at_ns) / NS
    report = judge(hub, start, served + NS)
    why = f"{report.summary()}\n{hub.diagnostics()}"
    # The backup subscribed only now: the slots in between were printed by nobody alive.
    assert report.duplicated == 0 and report.out_of_order == 0, why
    assert report.mismatched == 0, why
    assert report.longest_gap_s <= seconds + 1.0 + MARGIN_S, why
    assert assign <= seconds + 1.0 + MARGIN_S, f"backup carried after {assign:.2f} s"

    await heal_and_fail_back(hub, fault, "sim-b")
    end = await tail(hub)
    final = judge(hub, start, end)
    assert final.duplicated == 0 and final.out_of_order == 0, final.summary()
    beat = await hub.bus.heartbeats.wait(
        lambda b: b.source == "sim-b" and b.subscribed_digest == contracts_digest([CANARY]),
        10,
        end,
        "sim-b back to its canary only after the failback",
    )
    assert beat.value.subscribed_count == 1
