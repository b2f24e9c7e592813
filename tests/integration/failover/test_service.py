"""The failover service on a real nats-server: routing, events, restarts, cold mode."""

from __future__ import annotations

import asyncio
import time

from nats.aio.client import Client

from tickhub_cli.natsserver import NatsServer
from tickhub_contracts import buckets
from tickhub_contracts.messages import FailoverEvent, RestartEvent
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

from ..gateway.conftest import Inbox
from .conftest import (
    RB,
    SR,
    HealthFeed,
    M,
    Manager,
    routes,
    running,
    table,
    verdict,
    wait_routes,
)

BOTH = {RB: ("A", ["A", "B"], False), M: ("A", ["A", "B"], False)}
ON_B = {RB: ("B", ["B"], False), M: ("B", ["B"], False)}


async def test_failover_on_unhealthy_then_failback_after_the_hold_and_not_before(
    nc: Client, fo_settings: Settings, feed: HealthFeed, failovers: Inbox[FailoverEvent]
):
    hold = fo_settings.failback_hold_s
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    async with running(fo_settings):
        await wait_routes(nc, lambda r: table(r) == BOTH)
        first = await failovers.wait_for(lambda e: e.kind == "restored")
        assert (first.from_source, first.to_source, first.contracts) == (None, "A", [M, RB])

        seen = len(failovers.items)
        await feed.send(
            verdict("A", "UNHEALTHY", reason="exited (killed by SIGKILL)", detected_ms=850.0)
        )
        moved = await failovers.wait_for(lambda e: e.kind == "failover", after=seen)
        assert (moved.from_source, moved.to_source, moved.contracts) == ("A", "B", [M, RB])
        assert moved.cause == "process_exited" and moved.detected_ms == 850.0
        assert "exited (killed by SIGKILL)" in moved.reason and moved.mode == "hot"
        assert moved.switched_ms is not None and 0 <= moved.switched_ms < 5000
        await wait_routes(nc, lambda r: table(r) == ON_B)

        seen = len(failovers.items)
        back_at = time.monotonic()
        await feed.send(verdict("A", previous="RECOVERING"))
        # In its hold A's ticks may go out (hot mode: the first copy wins) but B leads.
        held = {RB: ("B", ["A", "B"], False), M: ("B", ["A", "B"], False)}
        await wait_routes(nc, lambda r: table(r) == held)
        back = await failovers.wait_for(lambda e: e.kind == "failback", after=seen, within=hold + 8)
        waited = time.monotonic() - back_at
        assert waited >= hold - 0.05, f"failed back after {waited:.2f} s, hold {hold} s"
        assert (back.from_source, back.to_source) == ("B", "A")
        assert [e.kind for e in failovers.values[seen:]] == ["failback"]
        found = await wait_routes(nc, lambda r: table(r) == BOTH)
        assert all(r.by == "failover" and r.mode == "hot" for r in found.values())


async def test_verdicts_on_the_subject_alone_move_the_routing(
    nc: Client, fo_settings: Settings, feed: HealthFeed
):
    """The subject is the fast path: a verdict there acts before the bucket has it."""
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    async with running(fo_settings):
        await wait_routes(nc, lambda r: table(r) == BOTH)
        await feed.send(verdict("A", "UNHEALTHY"), bucket=False)
        await wait_routes(nc, lambda r: table(r) == ON_B)
        # An older verdict in the bucket does not undo the newer one from the subject.
        stale = verdict("A", ago=60)
        stale.at = stale.since
        await feed.send(stale, subject=False)
        await feed.send(verdict("C", priority=3, contracts=[SR], ago=60))
        found = await wait_routes(nc, lambda r: SR in r)
        assert table(found)[RB] == ON_B[RB]


async def test_restart_after_the_cooldown_backing_off_doubling_then_success(
    nc: Client,
    fo_settings: Settings,
    feed: HealthFeed,
    manager: Manager,
    restart_events: Inbox[RestartEvent],
):
    cool = fo_settings.restart_cooldown_s
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    async with running(fo_settings):
        failed_at = time.monotonic()
        await feed.send(verdict("A", "UNHEALTHY", reason="exited with code 1"))
        [(_, first, t1)] = await manager.wait(lambda s, c: s == "A" and c.action == "restart")
        assert first.by == "failover"
        assert t1 - failed_at >= cool - 0.05
        ordered = await restart_events.wait_for(lambda e: e.action == "ordered")
        assert (ordered.source, ordered.attempt) == ("A", 1)
        assert "exited with code 1" in ordered.reason

        waits = []
        for attempt in (2, 3, 4):
            await feed.send(verdict("A", "RECOVERING", previous="UNHEALTHY"))
            failed_at = time.monotonic()
            await feed.send(verdict("A", "UNHEALTHY", previous="RECOVERING"))

            def backing_off(e: RestartEvent, n: int = attempt) -> bool:
                return e.action == "backing_off" and e.attempt == n

            backing = await restart_events.wait_for(backing_off)
            want = min(cool * 2 ** (attempt - 1), fo_settings.restart_backoff_max_s)
            assert backing.next_in_s is not None and abs(backing.next_in_s - want) < 0.5
            hits = await manager.wait(
                lambda s, c: s == "A" and c.action == "restart", count=attempt, within=want + 8
            )
            waits.append(hits[-1][2] - failed_at)
            assert waits[-1] >= want - 0.05, (attempt, waits)
        assert waits == sorted(waits), waits

        await feed.send(verdict("A", "RECOVERING"))
        await feed.send(verdict("A", previous="RECOVERING"))
        done = await restart_events.wait_for(lambda e: e.action == "succeeded")
        assert (done.source, done.attempt) == ("A", 4)
        assert manager.of("B") == []


async def test_no_restart_for_a_manual_stop_a_rejected_login_or_a_closed_market(
    nc: Client,
    fo_settings: Settings,
    feed: HealthFeed,
    manager: Manager,
    restart_events: Inbox[RestartEvent],
):
    never = [
        verdict("stopped", "STOPPED", reason="stopped by operator"),
        verdict(
            "badlogin",
            "UNHEALTHY",
            cause="login_rejected",
            needs_operator=True,
            reason="login rejected: 3 invalid user or password",
        ),
        verdict("closed", "MARKET_CLOSED", reason="session closed"),
        verdict("night", "UNHEALTHY", cause="canary_stale", in_session=False),
    ]
    # The sentinel fails at the same moment: once it has been restarted twice (cool-down
    # and a doubled backoff after), every other source had its chance to be too.
    sentinel = verdict("sentinel", "UNHEALTHY")
    async with running(fo_settings):
        await feed.send(*never, sentinel)
        await manager.wait(lambda s, c: s == "sentinel")
        for _ in range(3):  # the health service repeats its verdicts
            await feed.send(*never)
        await feed.send(verdict("sentinel", "RECOVERING"))
        await feed.send(verdict("sentinel", "UNHEALTHY"))
        await manager.wait(lambda s, c: s == "sentinel", count=2)
        await feed.send(*never)
        # ordered 1, backing_off 2, ordered 2
        await restart_events.wait_count(lambda e: e.source == "sentinel", 3, within=5)
    assert {s for s, _, _ in manager.commands} == {"sentinel"}
    told = [e for e in restart_events.values if e.source == "badlogin"]
    assert [e.action for e in told] == ["needs_operator"]
    assert "invalid user or password" in told[0].reason
    assert {e.source for e in restart_events.values} == {"sentinel", "badlogin"}


async def test_a_refused_restart_is_announced(
    nc: Client,
    fo_settings: Settings,
    feed: HealthFeed,
    manager: Manager,
    restart_events: Inbox[RestartEvent],
):
    manager.refuse["A"] = "A was stopped by an operator; only an operator can start it again"
    async with running(fo_settings):
        await feed.send(verdict("A", "UNHEALTHY"))
        refused = await restart_events.wait_for(lambda e: e.action == "refused")
        assert refused.source == "A" and refused.attempt == 1
        assert "only an operator" in refused.reason
        # It is not waited for as a restart: the next attempt comes after its backoff.
        second = await restart_events.wait_for(lambda e: e.action == "ordered" and e.attempt == 2)
        assert second.source == "A"


async def test_a_restarted_failover_service_keeps_a_routing_that_is_right(
    nc: Client, fo_settings: Settings, feed: HealthFeed, failovers: Inbox[FailoverEvent]
):
    slow = fo_settings.model_copy(update={"failback_hold_s": 60.0})
    await feed.send(verdict("A", ago=600), verdict("B", priority=2, ago=600))
    async with running(slow):
        await wait_routes(nc, lambda r: table(r) == BOTH)
        await feed.send(verdict("A", "UNHEALTHY"))
        await wait_routes(nc, lambda r: table(r) == ON_B)
        await feed.send(verdict("A", previous="RECOVERING"))  # back, in its hold
        held = {RB: ("B", ["A", "B"], False), M: ("B", ["A", "B"], False)}
        await wait_routes(nc, lambda r: table(r) == held)
        bucket = await kv.open_bucket(nc, buckets.ROUTING, create=False)
        revisions = {vt: (await bucket.get(buckets.routing_key(vt))).revision for vt in (RB, M)}
    before = await routes(nc)
    seen = len(failovers.items)

    async with running(slow) as again:
        # Proof it decided with the verdicts it read: a new contract gets a route.
        await feed.send(verdict("C", priority=3, contracts=[SR], ago=600))
        found = await wait_routes(nc, lambda r: SR in r)
        assert again.evaluations >= 1
    assert {vt: found[vt] for vt in (RB, M)} == {vt: before[vt] for vt in (RB, M)}
    for vt in (RB, M):
        assert (await bucket.get(buckets.routing_key(vt))).revision == revisions[vt]
    assert [(e.kind, e.to_source) for e in failovers.values[seen:]] == [("restored", "C")]


async def test_the_routing_bucket_is_rebuilt_after_it_is_deleted(
    nc: Client, fo_settings: Settings, feed: HealthFeed
):
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    async with running(fo_settings, verify_s=0.5):
        before = await wait_routes(nc, lambda r: table(r) == BOTH)
        await nc.jetstream().delete_key_value(buckets.ROUTING)
        after = await wait_routes(nc, lambda r: table(r) == BOTH)
        assert after == before  # the same routes, `at` included: nothing changed
        # And a key deleted by hand comes back too.
        bucket = await kv.open_bucket(nc, buckets.ROUTING, create=False)
        await bucket.delete(buckets.routing_key(RB))
        await wait_routes(nc, lambda r: table(r) == BOTH)


async def test_cold_mode_assigns_the_contracts_to_the_active_source_only(
    nc: Client, fo_settings: Settings, feed: HealthFeed, manager: Manager
):
    cold = fo_settings.model_copy(update={"failover_mode": "cold"})
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    async with running(cold, assign_period_s=0.5):
        found = await wait_routes(
            nc, lambda r: table(r) == {RB: ("A", ["A"], False), M: ("A", ["A"], False)}
        )
        assert {r.mode for r in found.values()} == {"cold"}
        await manager.wait(
            lambda s, c: s == "A" and c.action == "assign" and c.vt_symbols == [M, RB]
        )
        await manager.wait(lambda s, c: s == "B" and c.action == "assign" and c.vt_symbols == [])

        await feed.send(verdict("A", "UNHEALTHY"))
        await manager.wait(
            lambda s, c: s == "B" and c.action == "assign" and c.vt_symbols == [M, RB]
        )
        await manager.wait(lambda s, c: s == "A" and c.action == "assign" and c.vt_symbols == [])
        await wait_routes(
            nc, lambda r: table(r) == {RB: ("B", ["B"], False), M: ("B", ["B"], False)}
        )
        # Repeated, so a restarted manager or worker converges.
        await manager.wait(
            lambda s, c: s == "B" and c.action == "assign" and c.vt_symbols == [M, RB], count=3
        )
        assert all(c.by == "failover" for _, c, _ in manager.commands)


async def test_after_a_nats_server_restart_it_follows_the_verdicts_again(
    nc: Client, nats_server: NatsServer, fo_settings: Settings, feed: HealthFeed
):
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    async with running(fo_settings) as service:
        before = await wait_routes(nc, lambda r: table(r) == BOTH)
        reads = service.store.reads
        await asyncio.to_thread(nats_server.restart)
        # The bucket survived the restart on disk, and the service did not rewrite it.
        assert await wait_routes(nc, lambda r: table(r) == BOTH, within=15) == before
        await feed.send(verdict("A", "UNHEALTHY"))
        await wait_routes(nc, lambda r: table(r) == ON_B, within=15)
        assert service.store.reads > reads, "the bucket was not read again after the reconnect"
