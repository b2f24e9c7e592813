"""The publisher against a real nats-server and real ZeroMQ sockets.

The test plays the gateway: it publishes Tick and GatewayStatus messages on NATS the
way the workers and the manager do, and reads what a ZeroMQ client receives.
"""

from __future__ import annotations

import logging
import random

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_cli.natsserver import NatsServer
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import PoolStatus, Tick
from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .feed import RB, ZmqClient, send_status, send_tick, status, tick, until

AU = "au2602.SHFE"


def slots_of(ticks: list[Tick]) -> list[int]:
    return [int(t.volume) for t in ticks]


async def selected(publisher: Publisher, routes: dict[str, str]) -> None:
    assert publisher.bridge is not None
    bridge = publisher.bridge
    await until(
        lambda: all(bridge.selection.routes.get(k) == v for k, v in routes.items()),
        what=f"routes {routes}",
    )


async def test_two_identical_interleaved_streams_reach_the_client_once_in_order(
    publisher: Publisher, client: ZmqClient, nc: Client
) -> None:
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB, AU]))
    await send_status(nc, status("sim-b", 2, [RB, AU]))
    await selected(publisher, {RB: "sim-a", AU: "sim-a"})
    n = 200
    order = [("sim-a", s) for s in range(1, n + 1)] + [("sim-b", s) for s in range(1, n + 1)]
    # A random interleaving that keeps each source's own order (as two feeds would).
    rng = random.Random(7)
    rng.shuffle(order)
    queues = {"sim-a": iter(range(1, n + 1)), "sim-b": iter(range(1, n + 1))}
    for source, _ in order:
        slot = next(queues[source])
        await send_tick(nc, tick(source, slot, RB))
        await send_tick(nc, tick(source, slot, AU))
    got = await client.ticks(2 * n)
    for vt_symbol in (RB, AU):
        mine = [t for t in got if t.vt_symbol == vt_symbol]
        assert slots_of(mine) == list(range(1, n + 1))
        assert [t.seq for t in mine] == list(range(1, n + 1))
        assert {t.source for t in mine} == {"sim-a"}
    await client.nothing_more()
    assert publisher.bridge is not None
    counters = publisher.bridge.counters
    assert counters.not_selected == 2 * n
    assert counters.malformed == 0


async def test_the_next_source_takes_over_without_a_duplicate_when_the_selected_drops(
    publisher: Publisher, client: ZmqClient, nc: Client
) -> None:
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB]))
    await send_status(nc, status("sim-b", 2, [RB]))
    await selected(publisher, {RB: "sim-a"})
    # sim-b runs two slots behind sim-a.
    for slot in range(1, 51):
        await send_tick(nc, tick("sim-a", slot))
        if slot > 2:
            await send_tick(nc, tick("sim-b", slot - 2))
    first = await client.ticks(50)
    assert slots_of(first) == list(range(1, 51))
    await send_status(nc, status("sim-a", 1, [RB], connection="disconnected"))
    await selected(publisher, {RB: "sim-b"})
    for slot in range(49, 101):  # sim-b catches up with what sim-a had already sent
        await send_tick(nc, tick("sim-b", slot))
    rest = await client.ticks(50)
    assert slots_of(rest) == list(range(51, 101))
    assert {t.source for t in rest} == {"sim-b"}
    assert [t.seq for t in first + rest] == list(range(1, 101))
    await client.nothing_more()
    assert publisher.bridge is not None
    counters = publisher.bridge.counters
    assert counters.duplicates + counters.stale == 2 + 1  # slots 49, 50 resent; held 48


async def test_a_failover_sends_the_backups_latest_tick_the_primary_never_sent(
    publisher: Publisher, client: ZmqClient, nc: Client
) -> None:
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB]))
    await send_status(nc, status("sim-b", 2, [RB]))
    await selected(publisher, {RB: "sim-a"})
    for slot in range(1, 11):
        await send_tick(nc, tick("sim-a", slot))
    await send_tick(nc, tick("sim-b", 11))  # sim-b is ahead; sim-a dies before slot 11
    assert slots_of(await client.ticks(10)) == list(range(1, 11))
    await send_status(nc, status("sim-a", 1, [RB], connection="disconnected"))
    [replayed] = await client.ticks(1)
    assert (int(replayed.volume), replayed.seq, replayed.source) == (11, 11, "sim-b")
    assert publisher.bridge is not None
    assert publisher.bridge.counters.replayed == 1


async def test_nothing_is_forwarded_for_a_contract_until_a_status_selects_a_source(
    publisher: Publisher, client: ZmqClient, nc: Client
) -> None:
    await client.join(nc)
    for slot in range(1, 6):
        await send_tick(nc, tick("sim-a", slot))
    assert publisher.bridge is not None
    bridge = publisher.bridge
    await until(lambda: bridge.counters.not_selected == 5, what="5 ticks counted")
    await client.nothing_more()
    await send_status(nc, status("sim-a", 1, [RB]))
    # The latest one is sent at once (the freshest state), then the feed goes on.
    [latest] = await client.ticks(1)
    assert (int(latest.volume), latest.seq) == (5, 1)
    await send_tick(nc, tick("sim-a", 6))
    [nxt] = await client.ticks(1)
    assert (int(nxt.volume), nxt.seq) == (6, 2)


async def test_a_non_live_tick_is_never_forwarded(
    publisher: Publisher, client: ZmqClient, nc: Client
) -> None:
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB]))
    await selected(publisher, {RB: "sim-a"})
    await send_tick(nc, tick("sim-a", 100, live=False))  # a replayed snapshot, newest of all
    for slot in range(1, 4):
        await send_tick(nc, tick("sim-a", slot))
        await send_tick(nc, tick("sim-a", slot + 1000, live=False))
    got = await client.ticks(3)
    assert slots_of(got) == [1, 2, 3]
    assert all(t.live for t in got)
    await client.nothing_more()
    assert publisher.bridge is not None
    assert publisher.bridge.counters.not_live == 4


async def test_malformed_and_foreign_messages_are_dropped_and_forwarding_goes_on(
    publisher: Publisher, client: ZmqClient, nc: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "tickhub_publisher")
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB]))
    await selected(publisher, {RB: "sim-a"})
    rb_subject = subjects.tick("sim-a", "SHFE", "rb2605")
    bad: list[tuple[str, bytes]] = [
        (rb_subject, b"\x00\xffgarbage"),
        (rb_subject, b""),
        (rb_subject, b'{"symbol": 5}'),
        (rb_subject, codec.encode(status("sim-a", 1, [RB]))),  # valid JSON, another type
        (rb_subject, codec.encode(tick("sim-b", 1))),  # source disagrees with the subject
        (rb_subject, codec.encode(tick("sim-a", 1, AU))),  # contract disagrees
        (rb_subject, codec.encode(tick("sim-a", 1)).replace(b"+08:00", b"")),  # no timezone
        ("tickhub.tick.sim-a", codec.encode(tick("sim-a", 1))),  # not a tick subject
        ("tickhub.tick.sim-a.SHFE.rb2605.x", codec.encode(tick("sim-a", 1))),
    ]
    for subject, payload in bad:
        await nc.publish(subject, payload)
    # Statuses that must not change the selection: another source's on sim-b's subject,
    # and garbage.
    await nc.publish(subjects.status("sim-b"), codec.encode(status("sim-c", 1, [RB])))
    await nc.publish(subjects.status("sim-b"), b"not a status")
    for slot in range(1, 4):
        await send_tick(nc, tick("sim-a", slot))
    got = await client.ticks(3)
    assert slots_of(got) == [1, 2, 3]
    assert publisher.bridge is not None
    assert publisher.bridge.counters.malformed == len(bad)
    assert publisher.bridge.selection.routes == {RB: "sim-a", "probe0.PROBE": "probe"}
    text = caplog.text
    assert "tickhub.tick.sim-a.SHFE.rb2605" in text
    assert "foreign subject tickhub.tick.sim-a" in text
    # Rate-limited: one line per kind, not one per message.
    assert len([r for r in caplog.records if "is not a tick" in r.getMessage()]) == 1


async def test_a_flood_of_garbage_is_logged_a_few_times_not_once_per_message(
    publisher: Publisher, client: ZmqClient, nc: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "tickhub_publisher")
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB]))
    await selected(publisher, {RB: "sim-a"})
    for _ in range(2000):
        await nc.publish(subjects.tick("sim-a", "SHFE", "rb2605"), b"}{")
    await send_tick(nc, tick("sim-a", 1))
    assert slots_of(await client.ticks(1)) == [1]
    assert publisher.bridge is not None
    assert publisher.bridge.counters.malformed == 2000
    assert len(caplog.records) <= 3


async def test_statuses_from_the_pool_snapshot_select_at_startup(
    settings: Settings, nc: Client
) -> None:
    async def pool(msg: Msg) -> None:
        snapshot = PoolStatus(gateways=[status("sim-b", 2, [RB]), status("sim-a", 1, [RB])])
        await msg.respond(codec.encode(snapshot))

    await nc.subscribe(subjects.POOL, cb=pool)
    await nc.flush()
    publisher = Publisher(settings, service_logs=False)
    await publisher.start()
    try:
        assert publisher.bridge is not None
        assert publisher.bridge.selection.routes == {RB: "sim-a"}
    finally:
        await publisher.stop()


async def test_slow_consumer_drops_are_counted_and_forwarding_goes_on(
    settings: Settings, nc: Client
) -> None:
    tight = settings.model_copy(update={"publisher_pending_msgs": 5})
    publisher = Publisher(tight, service_logs=False)
    await publisher.start()
    client = ZmqClient(publisher.endpoint)
    try:
        await client.join(nc)
        await send_status(nc, status("sim-a", 1, [RB]))
        await selected(publisher, {RB: "sim-a"})
        assert publisher.bridge is not None
        counters = publisher.bridge.counters
        received0, forwarded0 = counters.received, counters.forwarded
        burst = 3000
        payloads = [codec.encode(tick("sim-a", slot)) for slot in range(1, burst + 1)]
        subject = subjects.tick("sim-a", "SHFE", "rb2605")
        for payload in payloads:  # one burst: nats-py reads many per read, 5 fit
            await nc.publish(subject, payload)
        await nc.flush()
        await until(
            lambda: counters.slow_consumer + counters.received - received0 == burst,
            what="every message of the burst taken or dropped",
        )
        assert counters.slow_consumer > 0
        await send_tick(nc, tick("sim-a", burst + 1))
        await until(lambda: counters.received - received0 == burst - counters.slow_consumer + 1)
        got = await client.ticks(counters.forwarded - forwarded0, limit_s=20)
        assert int(got[-1].volume) == burst + 1
        assert len(got) == burst - counters.slow_consumer + 1
        seqs = [t.seq or 0 for t in got]
        assert seqs == list(range(seqs[0], seqs[0] + len(got)))
    finally:
        client.close()
        await publisher.stop()


async def test_counters_are_logged_periodically(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "tickhub.publisher")
    publisher = Publisher(settings, service_logs=False, stats_interval_s=0.05)
    await publisher.start()
    try:
        await until(lambda: "/s" in caplog.text, what="a periodic stats line with its rate")
    finally:
        await publisher.stop()
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("stats "))
    assert "rate=" in line
    for name in ("forwarded=", "duplicates=", "not_selected=", "stale=", "malformed="):
        assert name in line


async def test_forwarding_resumes_after_the_nats_server_restarts(
    nats_server: NatsServer, publisher: Publisher, client: ZmqClient, nc: Client
) -> None:
    await client.join(nc)
    await send_status(nc, status("sim-a", 1, [RB]))
    await selected(publisher, {RB: "sim-a"})
    await send_tick(nc, tick("sim-a", 1))
    assert slots_of(await client.ticks(1)) == [1]
    nats_server.restart()
    # Both clients notice and reconnect on their own; until the publisher has its
    # subscriptions back, ticks are lost, so keep sending new slots until one arrives.
    slot = 1
    got: list[Tick] = []
    while not got and slot < 300:
        slot += 1
        await send_tick(nc, tick("sim-a", slot))
        try:
            got = await client.ticks(1, limit_s=0.1)
        except AssertionError:
            continue
    assert got, "nothing forwarded after the restart"
    assert got[0].seq == 2  # the seq goes on: the publisher itself did not restart
    assert publisher.nc is not None and publisher.nc.is_connected
