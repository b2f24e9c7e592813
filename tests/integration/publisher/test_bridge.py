"""The publisher against a real nats-server and real ZeroMQ sockets.

The test plays the gateway (Tick messages on NATS, as the workers publish them) and
the failover service (ContractRoute entries in the tickhub_routing bucket), and reads
what a ZeroMQ client receives.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random

import pytest
from nats.aio.client import Client

from tickhub_cli.natsserver import NatsServer
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import ContractRoute, Tick
from tickhub_publisher import app as app_module
from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .feed import RB, Routing, ZmqClient, batch, send_tick, status, tick, until

AU = "au2602.SHFE"
NOW = dt.datetime.now(dt.UTC)


def slots_of(ticks: list[Tick]) -> list[int]:
    return [int(t.volume) for t in ticks]


async def routed(publisher: Publisher, vt_symbol: str, *eligible: str) -> None:
    """Until the publisher follows the route the test wrote (``()``: no route)."""
    assert publisher.bridge is not None
    table = publisher.bridge.table

    def follows() -> bool:
        entry = table.get(vt_symbol)
        return (entry.order if entry is not None else ()) == eligible

    await until(follows, what=f"{vt_symbol} routed to {eligible}")


async def test_every_tick_of_two_interleaved_eligible_streams_goes_out_once_in_order(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    assert publisher.bridge is not None
    counters = publisher.bridge.counters
    not_eligible0 = counters.not_eligible  # probe ticks sent before their route was read
    for vt_symbol in (RB, AU):
        await routing.put(vt_symbol, "sim-a", "sim-b")
        await routed(publisher, vt_symbol, "sim-a", "sim-b")
    n = 200
    sources = ("sim-a", "sim-b", "sim-c")  # sim-c is not eligible: none of its ticks go out
    order = [source for source in sources for _ in range(n)]
    # A random interleaving that keeps each source's own order (as real feeds would).
    random.Random(7).shuffle(order)
    queues = {source: iter(range(1, n + 1)) for source in sources}
    first: dict[tuple[str, int], str] = {}
    for source in order:
        slot = next(queues[source])
        for vt_symbol in (RB, AU):
            await send_tick(nc, tick(source, slot, vt_symbol))
            if source != "sim-c":
                first.setdefault((vt_symbol, slot), source)
    got = await client.ticks(2 * n)
    for vt_symbol in (RB, AU):
        mine = [t for t in got if t.vt_symbol == vt_symbol]
        assert slots_of(mine) == list(range(1, n + 1))
        assert [t.seq for t in mine] == list(range(1, n + 1))
        # Each the first copy to arrive: from both sources, never from sim-c.
        assert [t.source for t in mine] == [first[(vt_symbol, s)] for s in range(1, n + 1)]
        assert {t.source for t in mine} == {"sim-a", "sim-b"}
    await client.nothing_more()
    assert counters.not_eligible - not_eligible0 == 2 * n
    assert counters.duplicates + counters.stale == 2 * n  # the later copies
    assert counters.malformed == 0


async def test_in_hot_mode_losing_the_primary_loses_no_tick_the_backup_had(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    await routing.put(RB, "sim-a", "sim-b")
    await routed(publisher, RB, "sim-a", "sim-b")
    # sim-b runs two slots behind sim-a; sim-a dies after slot 50, long before the
    # routing hears of it.
    for slot in range(1, 101):
        if slot <= 50:
            await send_tick(nc, tick("sim-a", slot))
        if slot > 2:
            await send_tick(nc, tick("sim-b", slot - 2))
    await routing.put(RB, "sim-b")
    await routed(publisher, RB, "sim-b")
    for slot in range(99, 111):
        await send_tick(nc, tick("sim-b", slot))
    got = await client.ticks(110)
    assert slots_of(got) == list(range(1, 111))
    assert [t.seq for t in got] == list(range(1, 111))
    assert {t.source for t in got[:50]} == {"sim-a"}
    assert {t.source for t in got[50:]} == {"sim-b"}
    await client.nothing_more()


async def test_a_cold_switch_sends_the_new_sources_latest_tick_the_old_never_sent(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    assert publisher.bridge is not None
    counters = publisher.bridge.counters
    replayed0 = counters.replayed  # the probe's first tick may have been held, then offered
    await routing.put(RB, "sim-a", mode="cold")
    await routed(publisher, RB, "sim-a")
    for slot in range(1, 11):
        await send_tick(nc, tick("sim-a", slot))
    await send_tick(nc, tick("sim-b", 11))  # sim-b is ahead; sim-a dies before slot 11
    assert slots_of(await client.ticks(10)) == list(range(1, 11))
    await routing.put(RB, "sim-b", mode="cold")
    [replayed] = await client.ticks(1)
    assert (int(replayed.volume), replayed.seq, replayed.source) == (11, 11, "sim-b")
    await send_tick(nc, tick("sim-a", 12))  # no longer eligible
    await send_tick(nc, tick("sim-b", 12))
    [nxt] = await client.ticks(1)
    assert (int(nxt.volume), nxt.source) == (12, "sim-b")
    assert counters.replayed == replayed0 + 1


async def test_a_recovering_source_re_publishes_none_of_its_stale_ticks(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    await routing.put(RB, "sim-a", "sim-b")
    await routed(publisher, RB, "sim-a", "sim-b")
    for slot in range(1, 11):
        await send_tick(nc, tick("sim-a", slot))
        await send_tick(nc, tick("sim-b", slot))
    await routing.put(RB, "sim-b")  # sim-a failed
    await routed(publisher, RB, "sim-b")
    for slot in range(11, 31):
        await send_tick(nc, tick("sim-b", slot))
    assert slots_of(await client.ticks(30)) == list(range(1, 31))
    # sim-a's new process logs in: the front replays snapshots, then the ticks it
    # still had queued from before its outage; meanwhile it is routed back in.
    for slot in range(1, 31):
        await send_tick(nc, tick("sim-a", slot, live=False))
    await send_tick(nc, tick("sim-a", 10))  # held while not eligible: offered, dropped
    await routing.put(RB, "sim-a", "sim-b")
    await routed(publisher, RB, "sim-a", "sim-b")
    for slot in range(5, 31):
        await send_tick(nc, tick("sim-a", slot))
    await client.nothing_more()
    for slot in range(31, 36):
        await send_tick(nc, tick("sim-a", slot))
        await send_tick(nc, tick("sim-b", slot))
    got = await client.ticks(5)
    assert [(int(t.volume), t.seq) for t in got] == [(s, s) for s in range(31, 36)]
    await client.nothing_more()


async def test_nothing_is_forwarded_for_a_contract_until_it_is_routed(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    assert publisher.bridge is not None
    counters = publisher.bridge.counters
    not_eligible0 = counters.not_eligible  # probe ticks sent before their route was read
    for slot in range(1, 6):
        await send_tick(nc, tick("sim-a", slot))
    await until(lambda: counters.not_eligible - not_eligible0 == 5, what="5 ticks counted")
    await client.nothing_more()
    await routing.put(RB, "sim-a", mode="cold")
    # The latest one is sent at once (the freshest state), then the feed goes on.
    [latest] = await client.ticks(1)
    assert (int(latest.volume), latest.seq) == (5, 1)
    await send_tick(nc, tick("sim-a", 6))
    [nxt] = await client.ticks(1)
    assert (int(nxt.volume), nxt.seq) == (6, 2)
    # The route deleted (no source left): nothing goes out any more.
    await routing.delete(RB)
    await routed(publisher, RB)
    await send_tick(nc, tick("sim-a", 7))
    await client.nothing_more()


async def test_a_non_live_tick_is_never_forwarded(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    await routing.put(RB, "sim-a")
    await routed(publisher, RB, "sim-a")
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
    publisher: Publisher,
    client: ZmqClient,
    nc: Client,
    routing: Routing,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "tickhub_publisher")
    await client.join(nc)
    await routing.put(RB, "sim-a")
    await routed(publisher, RB, "sim-a")
    shfe = subjects.ticks("sim-a", "SHFE")
    bad: list[tuple[str, bytes]] = [
        (shfe, b"\x00\xffgarbage"),
        (shfe, b""),
        (shfe, b'{"ticks": [{"symbol": 5}]}'),
        (shfe, codec.encode(status("sim-a", 1, [RB]))),  # valid JSON, another type
        (shfe, codec.encode(tick("sim-a", 1))),  # a tick, not a batch
        (shfe, batch(tick("sim-b", 1))),  # source disagrees with the subject
        (subjects.ticks("sim-a", "DCE"), batch(tick("sim-a", 1))),  # exchange disagrees
        (shfe, batch(tick("sim-a", 1)).replace(b"+08:00", b"")),  # no timezone
        (shfe, batch(tick("sim-a", 1, "rb*.SHFE"))),  # a symbol that is no token
        ("tickhub.ticks.sim-a", batch(tick("sim-a", 1))),  # not a ticks subject
        ("tickhub.ticks.sim-a.SHFE.rb2605", batch(tick("sim-a", 1))),
    ]
    for subject, payload in bad:
        await nc.publish(subject, payload)
    # Routing entries that must not route anything: garbage, and a route naming
    # another contract than its key.
    await routing.bucket.put("SHFE.au2602", b"not a route")
    await routing.bucket.put(
        "SHFE.cu2605", codec.encode(ContractRoute(vt_symbol=AU, source="sim-a", at=NOW))
    )
    for slot in range(1, 4):
        await send_tick(nc, tick("sim-a", slot))
    got = await client.ticks(3)
    assert slots_of(got) == [1, 2, 3]
    assert publisher.bridge is not None
    assert publisher.bridge.counters.malformed == len(bad)
    mirror = publisher.routing
    assert mirror is not None
    await until(lambda: "SHFE.cu2605" in mirror.values, what="the bad entries read")
    assert set(publisher.bridge.table) == {RB, "probe0.PROBE"}
    text = caplog.text
    assert "disagrees with its subject" in text
    assert "foreign subject tickhub.ticks.sim-a" in text
    assert "routing entry SHFE.au2602 ignored" in text
    # Rate-limited: one line per kind, not one per message.
    assert len([r for r in caplog.records if "not a batch of ticks" in r.getMessage()]) == 1


async def test_a_flood_of_garbage_is_logged_a_few_times_not_once_per_message(
    publisher: Publisher,
    client: ZmqClient,
    nc: Client,
    routing: Routing,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "tickhub_publisher")
    await client.join(nc)
    await routing.put(RB, "sim-a")
    await routed(publisher, RB, "sim-a")
    for _ in range(2000):
        await nc.publish(subjects.ticks("sim-a", "SHFE"), b"}{")
    await send_tick(nc, tick("sim-a", 1))
    assert slots_of(await client.ticks(1)) == [1]
    assert publisher.bridge is not None
    assert publisher.bridge.counters.malformed == 2000
    assert len(caplog.records) <= 3


async def test_a_restarted_publisher_recovers_the_routing_from_the_bucket(
    settings: Settings, nc: Client, routing: Routing
) -> None:
    await routing.put(RB, "sim-b", "sim-a")
    await routing.put(AU, "sim-a", mode="cold")
    first = Publisher(settings, service_logs=False)
    await first.start()
    await first.stop()
    # Nothing is written to the bucket after this: the next publisher must read it.
    second = Publisher(settings, service_logs=False)
    await second.start()
    client = ZmqClient(second.endpoint)
    try:
        assert second.bridge is not None
        table = second.bridge.table
        assert {k: v.order for k, v in table.items()} == {
            RB: ("sim-b", "sim-a"),
            AU: ("sim-a",),
        }
        await client.join(nc)
        for slot in range(1, 4):
            await send_tick(nc, tick("sim-a", slot, RB))
            await send_tick(nc, tick("sim-b", slot, AU))  # not eligible for AU
            await send_tick(nc, tick("sim-a", slot, AU))
        got = await client.ticks(6)
        assert [(t.vt_symbol, int(t.volume)) for t in got if t.vt_symbol == RB] == [
            (RB, 1),
            (RB, 2),
            (RB, 3),
        ]
        assert {t.source for t in got if t.vt_symbol == AU} == {"sim-a"}
    finally:
        client.close()
        await second.stop()
    # The publisher only reads routing: its stops left the bucket as it was.
    assert len(await routing.bucket.keys()) == 3  # RB, AU and the probe


async def test_a_publisher_started_before_the_bucket_exists_follows_it_once_it_does(
    settings: Settings, nc: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "ROUTING_WAIT_S", 0.2)
    publisher = Publisher(settings, service_logs=False)
    await publisher.start()  # no bucket: the start does not wait for it for long
    client = ZmqClient(publisher.endpoint)
    try:
        assert publisher.routing is not None and not publisher.routing.ready.is_set()
        await client.join(nc)  # creates the bucket, routes the probe
        routing = await Routing.open(nc)
        await routing.put(RB, "sim-a")
        await routed(publisher, RB, "sim-a")
        await send_tick(nc, tick("sim-a", 1))
        assert slots_of(await client.ticks(1)) == [1]
    finally:
        client.close()
        await publisher.stop()


async def test_slow_consumer_drops_are_counted_and_forwarding_goes_on(
    settings: Settings, nc: Client, routing: Routing
) -> None:
    tight = settings.model_copy(update={"publisher_pending_msgs": 5})
    publisher = Publisher(tight, service_logs=False)
    await publisher.start()
    client = ZmqClient(publisher.endpoint)
    try:
        await client.join(nc)
        await routing.put(RB, "sim-a")
        await routed(publisher, RB, "sim-a")
        assert publisher.bridge is not None
        counters = publisher.bridge.counters
        received0, forwarded0 = counters.received, counters.forwarded
        burst = 3000
        payloads = [batch(tick("sim-a", slot)) for slot in range(1, burst + 1)]
        subject = subjects.ticks("sim-a", "SHFE")
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
    settings: Settings, routing: Routing, caplog: pytest.LogCaptureFixture
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
    for name in ("forwarded=", "duplicates=", "not_eligible=", "stale=", "malformed="):
        assert name in line


async def test_forwarding_and_routing_resume_after_the_nats_server_restarts(
    nats_server: NatsServer, publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    await client.join(nc)
    await routing.put(RB, "sim-a")
    await routed(publisher, RB, "sim-a")
    await send_tick(nc, tick("sim-a", 1))
    assert slots_of(await client.ticks(1)) == [1]
    assert publisher.routing is not None
    mirror = publisher.routing
    resyncs = mirror.resyncs
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
    # The routing was read again whole after the reconnect, and is followed still.
    await until(lambda: mirror.resyncs > resyncs, what="the routing bucket read again")
    await asyncio.wait_for(routing.put(RB, "sim-b"), 10)
    await routed(publisher, RB, "sim-b")
    await send_tick(nc, tick("sim-a", slot + 1))  # no longer eligible
    await send_tick(nc, tick("sim-b", slot + 1))
    # Slots sent while the publisher was reconnecting may still be on their way.
    late = [got[0]]
    while late[-1].source != "sim-b":
        late += await client.ticks(1)
    assert [t.seq for t in late] == list(range(2, 2 + len(late)))
    assert {t.source for t in late[:-1]} == {"sim-a"}
    assert int(late[-1].volume) == slot + 1
