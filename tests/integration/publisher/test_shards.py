"""A publisher split by exchange: two processes, each forwarding its own exchanges'
ticks on its own ZeroMQ endpoint, together the one stream (every tick once, each
contract's seq unbroken), their counts told apart on the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import PublisherStats, Tick, TickDrops
from tickhub_runtime.settings import Settings

from .feed import RB, Routing, ZmqClient, batch, tick, until
from .process import Service, start_service

AU, M, Y = "au2602.SHFE", "m2605.DCE", "y2605.DCE"
MARKET = {"SHFE": [RB, AU], "DCE": [M, Y]}
PROBES = {"SHFE": "probe0.SHFE", "DCE": "probe0.DCE"}


@pytest.fixture
async def shards(settings: Settings, routing: Routing) -> AsyncIterator[dict[str, Service]]:
    running = {
        exchange: await start_service(
            settings,
            TICKHUB_ZMQ_PUB="tcp://127.0.0.1:0",
            TICKHUB_PUBLISHER_EXCHANGES=f'["{exchange}"]',
            TICKHUB_PUBLISHER_STATS_S="0.2",
        )
        for exchange in ("SHFE", "DCE")
    }
    yield running
    for service in running.values():
        assert await service.stop() == 0
        assert "Traceback" not in service.text


async def join(nc: Client, routing: Routing, clients: dict[ZmqClient, set[str]]) -> None:
    """Probe each shard until every client hears what it is connected to (ZeroMQ's
    slow joiner): ``clients`` -> the probes each must hear."""
    for vt_symbol in PROBES.values():
        await routing.put(vt_symbol, "probe")
    heard = [set[str]() for _ in clients]
    slot = 0
    while any(h != wanted for h, wanted in zip(heard, clients.values(), strict=True)):
        slot += 1
        assert slot < 500, f"shards never heard: {heard}"
        for vt_symbol in PROBES.values():
            probe = tick("probe", slot, vt_symbol)
            await nc.publish(subjects.ticks("probe", probe.exchange), batch(probe))
        for client, h in zip(clients, heard, strict=True):
            while await client.socket.poll(20):
                _, t = await client.recv()
                h.add(t.vt_symbol)


async def drain(client: ZmqClient, n: int) -> list[Tick]:
    """The next ``n`` ticks that are not probes."""
    got: list[Tick] = []
    while len(got) < n:
        _, t = await client.recv()
        if t.vt_symbol not in PROBES.values():
            got.append(t)
    return got


async def test_two_shards_split_the_market_and_together_send_every_tick_once(
    shards: dict[str, Service], nc: Client, routing: Routing
) -> None:
    endpoints = {exchange: await service.endpoint() for exchange, service in shards.items()}
    stats: dict[str, PublisherStats] = {}

    async def on_stats(msg: Msg) -> None:
        word = codec.decode(msg.data, PublisherStats)
        stats[",".join(word.exchanges)] = word

    await nc.subscribe(subjects.PUBLISHER_STATS, cb=on_stats)
    shfe, dce = ZmqClient(endpoints["SHFE"]), ZmqClient(endpoints["DCE"])
    both = ZmqClient(endpoints["SHFE"])
    both.socket.connect(endpoints["DCE"])  # a client of the whole market
    clients = [shfe, dce, both]
    try:
        for vt_symbol in (RB, AU, M, Y):
            await routing.put(vt_symbol, "sim-a", "sim-b")  # hot: both eligible
        await until(
            lambda: all("eligible now sim-a,sim-b" in s.text for s in shards.values()),
            limit_s=20,
            what="both shards routed",
        )
        await join(
            nc,
            routing,
            {shfe: {PROBES["SHFE"]}, dce: {PROBES["DCE"]}, both: set(PROBES.values())},
        )
        n = 40
        # CTP's shape: every contract once per burst, from each source, which its
        # worker sends as one batch per exchange; sim-b's copy is first each time.
        for slot in range(1, n + 1):
            for source in ("sim-b", "sim-a"):
                for exchange, contracts in MARKET.items():
                    ticks = [tick(source, slot, vt_symbol) for vt_symbol in contracts]
                    await nc.publish(subjects.ticks(source, exchange), batch(*ticks))

        for client, contracts in ((shfe, MARKET["SHFE"]), (dce, MARKET["DCE"])):
            got = await drain(client, 2 * n)
            assert {t.vt_symbol for t in got} == set(contracts)  # its own exchange only
            for vt_symbol in contracts:
                mine = [t for t in got if t.vt_symbol == vt_symbol]
                assert [(t.seq, int(t.volume), t.source) for t in mine] == [
                    (k, k, "sim-b") for k in range(1, n + 1)
                ]
        whole = await drain(both, 4 * n)
        for vt_symbol in (RB, AU, M, Y):
            mine = [t for t in whole if t.vt_symbol == vt_symbol]
            assert [t.seq for t in mine] == list(range(1, n + 1))
        for client in clients:
            await client.nothing_more(0.3)

        # Each shard counts its own: the other copy of every tick is a duplicate.
        await until(
            lambda: all(
                s in stats and stats[s].sources.get("sim-a") is not None
                and stats[s].sources["sim-a"] == TickDrops(duplicate=2 * n)
                for s in ("SHFE", "DCE")
            ),
            limit_s=10,
            what=f"both shards' counts (have {stats})",
        )  # fmt: skip
        assert all(stats[s].forwarded >= 2 * n for s in ("SHFE", "DCE"))
    finally:
        for client in clients:
            client.close()
