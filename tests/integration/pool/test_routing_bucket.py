"""The tickhub_routing bucket as the failover service keeps it: a key per contract some
source can serve and no other. A key an earlier run left for a contract nobody carries
goes at start; a contract whose sources are all failing is served by a degraded one,
marked so; one with no source left loses its key, and gets it back when a source
recovers. The routing outlives the failover service: the publisher and the api go on
reading it while the service restarts.

The verdicts are sent by the test as the health service sends them
(tests/integration/failover/conftest.py); tests/integration/failover covers the
failover rules, failback and the bucket's repair.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nats.aio.client import Client

from tests.integration.failover.conftest import (
    RB,
    HealthFeed,
    M,
    routes,
    running,
    table,
    verdict,
    wait_routes,
)
from tests.integration.gateway.conftest import inbox
from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute, FailoverEvent
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

GHOST = "old1.SHFE"


async def test_a_key_per_served_contract_and_no_other(settings: Settings, nc: Client) -> None:
    # No hard restarts in this test: nothing answers tickhub.control here.
    quiet = settings.model_copy(update={"restart_cooldown_s": 300.0})
    bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    left = ContractRoute(vt_symbol=GHOST, source="ghost", at=datetime.now(UTC), by="failover")
    await bucket.put(buckets.routing_key(GHOST), codec.encode(left))
    events = await inbox(nc, subjects.FAILOVER_EVENT, FailoverEvent)
    feed = HealthFeed(nc)
    await feed.send(verdict("sim-a", ago=60), verdict("sim-b", priority=2, ago=60))

    both = ("sim-a", ["sim-a", "sim-b"], False)
    async with running(quiet):
        # What the earlier run left is gone; every contract carried has its key.
        found = await wait_routes(nc, lambda r: table(r) == {RB: both, M: both})
        assert all((r.by, r.mode) == ("failover", "hot") for r in found.values())
        gone = await events.wait_for(lambda e: e.kind == "lost" and e.from_source == "ghost")
        assert gone.contracts == [GHOST]

        # Every source failing: the degraded one serves, and says so.
        await feed.send(verdict("sim-a", "UNHEALTHY"), verdict("sim-b", "DEGRADED", priority=2))
        degraded = ("sim-b", ["sim-b"], True)
        await wait_routes(nc, lambda r: table(r) == {RB: degraded, M: degraded})

        # None left: no key, and a `lost` event for the contracts.
        await feed.send(verdict("sim-b", "UNHEALTHY", priority=2))
        await wait_routes(nc, lambda r: r == {})
        lost = await events.wait_for(lambda e: e.kind == "lost" and e.from_source == "sim-b")
        assert (lost.to_source, lost.contracts) == (None, [M, RB])

        # A source back: the keys are back.
        await feed.send(verdict("sim-a", previous="RECOVERING"))
        alone = ("sim-a", ["sim-a"], False)
        await wait_routes(nc, lambda r: table(r) == {RB: alone, M: alone})
    # A stopped failover service leaves the routing in force.
    assert table(await routes(nc)) == {RB: alone, M: alone}
