"""A service of the hub itself restarts while ticks flow.

- The publisher: it must take the routing from the bucket at once. To prove it does
  not wait for news, health and failover are stopped first, so nothing new is said
  about routing while it is away or after it is back.
- The health service: a new process must not mistake "I have not judged yet" for a
  failure. No FailoverEvent, the routing untouched, the client's stream untouched.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import msgspec

from tickhub_contracts.messages import SourceHealth
from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Hub
from tickhub_harness.failover_stream import NS
from tickhub_harness.pool import sim_source

from .conftest import MakeHub
from .judge import assert_lossless, judge, tail

FIRST_TICK_WITHIN_S = 10.0
"""From the publisher's start to ticks at the client: its import, NATS connect and
one bucket read (a service start on a loaded machine takes a few seconds)."""


def has_source(source: str) -> Callable[[SourceHealth], bool]:
    return lambda h: h.source == source


def routing_now(hub: Hub) -> dict[str, tuple[str, list[str], str]]:
    return {c: (r.source, list(r.eligible), r.mode) for c, r in hub.bus.routing.items()}


async def test_a_restarted_publisher_routes_from_the_bucket(make_hub: MakeHub) -> None:
    hub = await make_hub([sim_source("sim-a", 1), sim_source("sim-b", 2, delay_ms=20)])
    await hub.ready()
    routes = routing_now(hub)

    # Nobody left to publish routing news: only the bucket knows.
    await hub.services["health"].stop()
    await hub.services["failover"].stop()
    silent_from = now_ns()

    publisher = hub.services["publisher"]
    assert await publisher.stop() == 0, publisher.tail()
    down = now_ns()
    publisher.start()
    started = now_ns()
    back = await hub.ticks_flow(FIRST_TICK_WITHIN_S + 10)
    assert (back - started) / NS <= FIRST_TICK_WITHIN_S + 1, hub.diagnostics()
    assert hub.flowing_from("sim-a", started), "not the routed source's ticks"
    end = await tail(hub)

    assert routing_now(hub) == routes, "the routing bucket changed across the restart"
    assert not hub.bus.routes.find(lambda r: True, silent_from), "routing was rewritten"
    # Ticks while no publisher ran are gone for the client (ZeroMQ keeps nothing);
    # from its return on, every tick once, in order.
    report = judge(hub, back - NS // 2, end)
    assert_lossless(report, hub)
    before = judge(hub, down - 3 * NS, down)
    assert before.duplicated == 0 and before.out_of_order == 0


async def test_a_restarted_health_service_causes_no_false_failover(make_hub: MakeHub) -> None:
    hub = await make_hub(
        [
            sim_source("sim-a", 1),
            sim_source("sim-b", 2, delay_ms=20),
            sim_source("sim-c", 3, delay_ms=40),
        ]
    )
    start = await hub.ready()
    routes = routing_now(hub)
    health = hub.services["health"]

    crash = now_ns()
    health.signal_group(signal.SIGKILL)  # a crash: no goodbye, no last verdict
    await health.stop()
    health.start()
    # The new process has judged every source (its first verdicts are HEALTHY).
    for source in ("sim-a", "sim-b", "sim-c"):
        await hub.bus.health.wait(has_source(source), 30, crash + NS, f"a new verdict on {source}")
    # Several of its publish periods and check ticks later, still nothing moved.
    end = await tail(hub, 4.0)

    verdicts = hub.bus.health.find(lambda h: True, crash)
    not_healthy = [(v.value.source, v.value.state, v.value.reason) for v in verdicts
                   if v.value.state != "HEALTHY"]  # fmt: skip
    assert not not_healthy, f"the restarted health service judged {not_healthy}"
    events = hub.bus.failovers.find(lambda e: True, crash)
    assert not events, [msgspec.structs.asdict(e.value) for e in events]
    assert routing_now(hub) == routes
    assert not hub.bus.routes.find(lambda r: r.source != "sim-a", crash)
    assert_lossless(judge(hub, start, end), hub)
