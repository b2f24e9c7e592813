"""The bus itself fails: the nats-server restarted mid-stream, and frozen (SIGSTOP)
for 20 s so that every connection is half-open. No one touches a service: every
client must notice, reconnect by itself, re-read the buckets, and ticks must reach
the ZeroMQ client again, with nothing repeated or reordered.
"""

from __future__ import annotations

import asyncio
import re

from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Hub
from tickhub_harness.failover_stream import NS
from tickhub_harness.pool import sim_source

from .conftest import MakeHub
from .judge import (
    DEAD_OR_HUNG_WITHIN_S,
    HEARTBEAT_TIMEOUT_S,
    assert_detected,
    judge,
    tail,
)

BACK_WITHIN_S = 20.0
"""From the server being back to ticks at the client again (reconnect waits 0.5 s
between attempts; the slowest part is a client noticing a dead connection)."""
FREEZE_S = 20.0


def assert_ordered(hub: Hub, start: int, end: int, outage: tuple[int, int]) -> None:
    """Ticks the outage swallowed are excused; nothing may repeat or go backwards,
    and everything outside the outage must be there."""
    report = judge(hub, start, end, excused=[outage])
    why = f"{report.summary()}\n{hub.diagnostics()}"
    assert report.duplicated == 0, why
    assert report.out_of_order == 0, why
    assert report.mismatched == 0, why
    assert report.lost == 0, why


async def test_nats_restarted_mid_stream_every_service_reconnects(make_hub: MakeHub) -> None:
    hub = await make_hub([sim_source("sim-a", 1), sim_source("sim-b", 2, delay_ms=20)])
    start = await hub.ready()
    await tail(hub, 0.5)

    down = now_ns()
    await asyncio.to_thread(hub.nats.restart)  # same port, same JetStream store
    up = now_ns()
    back = await hub.ticks_flow(BACK_WITHIN_S)
    assert (back - up) / NS <= BACK_WITHIN_S
    # Longer than the heartbeat timeout past the outage: time for a false verdict.
    await tail(hub, HEARTBEAT_TIMEOUT_S + 1.5)
    false_verdicts = [
        (v.value.source, v.value.state, v.value.reason)
        for v in hub.bus.health.find(lambda h: h.state != "HEALTHY", down)
    ]
    false_moves = [
        (e.value.kind, e.value.reason) for e in hub.bus.failovers.find(lambda e: True, down)
    ]
    await hub.ready(BACK_WITHIN_S)

    # The whole chain works again, not only the tick path: a fault is judged by the
    # health service, acted on by the failover service and the manager.
    fault = hub.inject("kill", "sim-a")
    seconds, _ = await hub.detected(fault)
    assert_detected(seconds, DEAD_OR_HUNG_WITHIN_S, fault, hub)
    await hub.bus.failovers.wait(
        lambda e: e.from_source == "sim-a", 20, fault.at_ns, "FailoverEvent after the restart"
    )
    await hub.recovered(fault)
    end = await tail(hub)
    # A half-second bus blip is no source's fault: a health service that lost the
    # bus itself must not count the heartbeats it could not receive against them.
    assert not false_verdicts, (
        f"a bus restart (server down {(up - down) / NS:.2f} s) judged: {false_verdicts}"
    )
    assert not false_moves, false_moves
    # Slots printed while the server was away may or may not have been buffered by
    # the workers' clients; the restart's own seconds are excused, nothing else.
    assert_ordered(hub, start, end, (down - NS, back))


async def test_nats_frozen_20s_clients_notice_and_everything_flows_after(
    make_hub: MakeHub,
) -> None:
    hub = await make_hub([sim_source("sim-a", 1), sim_source("sim-b", 2, delay_ms=20)])
    start = await hub.ready()
    await tail(hub, 0.5)
    marks = {name: len(service.tail(10_000).splitlines()) for name, service in hub.services.items()}

    frozen = now_ns()
    hub.nats.freeze()
    try:
        # Half-open: the sockets stay up, nothing answers. Each client must notice by
        # its own pings (1 s, 3 outstanding), not by TCP, which would take minutes.
        await hub.until(
            lambda: hub.bus.nc is not None and not hub.bus.nc.is_connected,
            10,
            "the harness's own client noticing the frozen server",
        )
        noticed = (now_ns() - frozen) / NS
        assert noticed <= 8, f"a frozen server noticed after {noticed:.1f} s"
        # The freeze is the fault's duration, not a wait for a condition.
        await asyncio.sleep(FREEZE_S - noticed)
    finally:
        hub.nats.thaw()
    thawed = now_ns()

    back = await hub.ticks_flow(BACK_WITHIN_S)
    await hub.ready(BACK_WITHIN_S)
    end = await tail(hub)

    for name, service in hub.services.items():
        lines = service.tail(10_000).splitlines()[marks[name] :]
        said = [line for line in lines if re.search(r"nats (disconnected|reconnected)", line)]
        assert any("disconnected" in line for line in said), (
            f"{name} never said it lost NATS during the freeze:\n" + "\n".join(lines[-20:])
        )
        assert any("reconnected" in line for line in said), (
            f"{name} never said it reconnected:\n" + "\n".join(lines[-20:])
        )
    assert (back - thawed) / NS <= BACK_WITHIN_S
    # Once live ticks flow again nothing more may go missing: the sources were fine
    # all along, only the bus was away.
    assert_ordered(hub, start, end, (frozen - NS, back))
