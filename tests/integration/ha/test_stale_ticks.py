"""A source that comes back after an outage must not put stale ticks in front of
the client.

The sim, like a feed catching up, prints the slots it missed while frozen (up to
2 s of them) the moment it runs again: copies of ticks the backup already
delivered. They do reach NATS (the harness sees them there, which proves the test
exercised something); none may reach the ZeroMQ client, whether the source was
still eligible (a short freeze, under the heartbeat timeout) or had been judged
UNHEALTHY and comes back by itself (the restart cool-down is long here, so it is
the same process that returns, not a fresh one).
"""

from __future__ import annotations

import asyncio

from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_stream import NS
from tickhub_harness.pool import sim_source

from .conftest import MakeHub
from .judge import assert_lossless, judge, tail

STALE_S = 0.5
"""Arrival minus exchange time above which a copy counts as stale (live ticks take
milliseconds)."""


async def test_a_source_back_from_an_outage_publishes_no_stale_tick(make_hub: MakeHub) -> None:
    hub = await make_hub(
        [sim_source("sim-a", 1), sim_source("sim-b", 2, delay_ms=20)],
        env={"TICKHUB_RESTART_COOLDOWN_S": "60"},
        watch_ticks=True,
    )
    start = await hub.ready()

    # A short freeze: the source stays eligible, its catch-up burst races the backup.
    hub.inject("hang", "sim-a")
    await asyncio.sleep(0.8)  # the freeze's length is the fault itself
    hub.inject("cont", "sim-a")
    await tail(hub, 1.0)

    # A long one: judged UNHEALTHY, then it comes back by itself and is proven again.
    fault = hub.inject("hang", "sim-a")
    await hub.detected(fault)
    resumed = hub.inject("cont", "sim-a")
    await hub.bus.health.wait(
        lambda h: h.source == "sim-a" and h.state == "HEALTHY", 30, resumed.at_ns, "sim-a back"
    )
    await hub.serving("sim-a")
    end = await tail(hub)

    stale_on_nats = [t for t in hub.bus.ticks if t[1] == "sim-a" and t[0] - t[2] > STALE_S * NS]
    assert len(stale_on_nats) >= 10, "the frozen source printed no catch-up burst to test with"
    report = judge(hub, start, end)
    assert_lossless(report, hub)
    stale = [a for a in hub.recorder.since(start)
             if a.arrived_ns - a.exchange_ns > STALE_S * NS]  # fmt: skip
    assert not stale, f"{len(stale)} stale ticks reached the client, e.g. {stale[:3]}"
    assert now_ns() >= end
