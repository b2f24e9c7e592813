"""Main-contract aliases with a real nats-server, the real publisher and the real rule
(``tickhub_universe.main_contract.decide``).

Two months of rebar over two trading days: Wednesday 2026-11-25 (from Tuesday's night
session) and Thursday 2026-11-26 (from Wednesday's 21:00). On Wednesday rb2605 holds
the most open interest; at its close rb2610 has overtaken it by more than the rule's
margin, in open interest and volume, so Thursday's alias is rb2610.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_contracts import buckets, codec, subjects, zeromq
from tickhub_contracts.messages import MainContract, ProductCloses, Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_publisher.app import Publisher
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

from .feed import PROBE, Routing, ZmqClient, batch, send_tick, tick, until

RB05, RB10 = "rb2605.SHFE", "rb2610.SHFE"
ALIAS = b"rb888.SHFE"
ANNOUNCE = b"#main.rb888.SHFE"
KEY = "SHFE.rb"
NIGHT_A = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)  # trading day 2026-11-25
CLOSE_A = dt.datetime(2026, 11, 25, 14, 59, 50, tzinfo=CHINA_TZ)
NIGHT_B = dt.datetime(2026, 11, 25, 21, 0, tzinfo=CHINA_TZ)  # trading day 2026-11-26
DAY_A, DAY_B = dt.date(2026, 11, 25), dt.date(2026, 11, 26)
FIRST_LOOK_S = 1.0


def at(base: dt.datetime, vt_symbol: str, k: int, *, volume: float, oi: float) -> Tick:
    """A sim-a tick of ``vt_symbol`` ``k`` half-seconds after ``base``."""
    t = tick("sim-a", k, vt_symbol, volume=volume, open_interest=oi)
    t.datetime = base + dt.timedelta(milliseconds=500 * k)
    return t


def night_a(k: int) -> list[Tick]:
    """Wednesday's first minutes: rb2605 leads in open interest."""
    return [
        at(NIGHT_A, RB05, k, volume=10 * k, oi=100_000),
        at(NIGHT_A, RB10, k, volume=5 * k, oi=60_000),
    ]


def close_a(k: int) -> list[Tick]:
    """Wednesday's close: rb2610 has overtaken rb2605 (open interest and volume)."""
    return [
        at(CLOSE_A, RB05, k, volume=200_000 + k, oi=90_000),
        at(CLOSE_A, RB10, k, volume=300_000 + k, oi=120_000),
    ]


def night_b(k: int) -> list[Tick]:
    return [
        at(NIGHT_B, RB05, k, volume=1 + k, oi=90_000),
        at(NIGHT_B, RB10, k, volume=2 + k, oi=120_000),
    ]


async def send(nc: Client, ticks: list[Tick]) -> None:
    """Each tick in its own batch, in order."""
    for t in ticks:
        await send_tick(nc, t)
    await nc.flush()


async def start_publisher(settings: Settings) -> Publisher:
    publisher = Publisher(settings, service_logs=False, first_look_s=FIRST_LOOK_S, persist_s=0.2)
    await publisher.start()
    assert publisher.mainstore is not None and publisher.mainstore.loaded.is_set()
    return publisher


@pytest.fixture
async def routed(routing: Routing) -> Routing:
    for vt_symbol in (RB05, RB10):
        await routing.put(vt_symbol, "sim-a")
    return routing


class AliasClient(ZmqClient):
    """Subscribed to the alias, its announcements and the probe (to join) only."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint, [ALIAS, ANNOUNCE, PROBE.encode()])

    async def frames(self, until_alias_of: str, limit_s: float = 20.0) -> list[tuple[bytes, str]]:
        """Everything until an alias tick of ``until_alias_of``: (topic, what it carries)."""
        got: list[tuple[bytes, str]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while True:
            topic, payload = await self.recv_raw(max(0.01, deadline - loop.time()))
            if topic == ANNOUNCE:
                main = zeromq.decode_main_contract(payload)
                got.append((topic, f"{main.vt_symbol} {main.trading_day}"))
                continue
            t = zeromq.decode(payload)
            if t.vt_symbol == PROBE:
                continue
            got.append((topic, t.vt_symbol))
            if t.vt_symbol == until_alias_of:
                return got


async def bucket_value(nc: Client, name: str, key: str) -> bytes | None:
    bucket = await kv.open_bucket(nc, name, create=False)
    try:
        entry = await bucket.get(key)
    except Exception:
        return None
    return entry.value


@pytest.fixture
async def changes(nc: Client) -> AsyncIterator[list[MainContract]]:
    got: list[MainContract] = []

    async def on(msg: Msg) -> None:
        got.append(codec.decode(msg.data, MainContract))

    sub = await nc.subscribe(subjects.MAIN_CONTRACT_CHANGED, cb=on)
    yield got
    await sub.unsubscribe()


async def test_the_alias_follows_the_main_and_is_announced_before_its_first_tick(
    settings: Settings,
    nc: Client,
    routed: Routing,
    changes: list[MainContract],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "tickhub.publisher")
    publisher = await start_publisher(settings)
    client = AliasClient(publisher.endpoint)
    try:
        await client.join(nc)
        # Wednesday: the first decision after a second of ticks names rb2605.
        for k in range(4):
            await send(nc, night_a(k))
        first = await client.frames(until_alias_of=RB05)
        assert first[0] == (ANNOUNCE, f"{RB05} {DAY_A}")
        assert all(topic == ALIAS for topic, _ in first[1:])
        for k in range(3):
            await send(nc, close_a(k))
        # Thursday: the first tick (of rb2605) starts the day; rb2610 is the main now.
        for k in range(3):
            await send(nc, night_b(k))
        second = await client.frames(until_alias_of=RB10)
        assert [vt for topic, vt in second if topic == ALIAS].count(RB10) == 1
        announced = second.index((ANNOUNCE, f"{RB10} {DAY_B}"))
        # Before the announcement only rb2605's Wednesday ticks; then rb2610's.
        assert {vt for topic, vt in second[:announced]} <= {RB05}
        assert second[announced + 1 :] == [(ALIAS, RB10)]
        # The alias carries the real tick: its symbol, its seq.
        await send(nc, [at(NIGHT_B, RB10, 5, volume=99, oi=120_000)])
        aliased = [zeromq.decode((await client.recv_raw())[1]) for _ in range(3)]
        assert [(t.symbol, t.volume) for t in aliased] == [
            ("rb2610", 3),
            ("rb2610", 4),
            ("rb2610", 99),
        ]
        assert [t.seq for t in aliased] == [9, 10, 11]  # rb2610's own seq, unchanged

        raw = await bucket_value(nc, buckets.MAIN_CONTRACTS, KEY)
        assert raw is not None
        stored = codec.decode(raw, MainContract)
        assert (stored.alias, stored.vt_symbol, stored.previous) == ("rb888.SHFE", RB10, RB05)
        assert stored.trading_day == DAY_B
        assert (stored.open_interest, stored.volume) == (120_000, 300_002)
        assert "open interest" in stored.reason
        await until(lambda: len(changes) == 2, what="two changes on NATS")
        assert [(c.vt_symbol, c.previous) for c in changes] == [(RB05, ""), (RB10, RB05)]
        assert publisher.bridge is not None
        counters = publisher.bridge.counters
        assert counters.announced == 2 and counters.aliased >= 3
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("main ")]
        assert lines[-2].startswith("main contract SHFE.rb: none -> rb2605.SHFE for 2026-11-25")
        assert (
            lines[-1]
            == f"main contract SHFE.rb: rb2605.SHFE -> rb2610.SHFE for 2026-11-26 ({stored.reason})"
        )
    finally:
        client.close()
        await publisher.stop()


async def test_a_restarted_publisher_keeps_the_alias_and_the_closes(
    settings: Settings, nc: Client, routed: Routing
) -> None:
    first = await start_publisher(settings)
    try:
        for k in range(4):
            await send(nc, night_a(k))
        for k in range(3):
            await send(nc, close_a(k))

        async def book_of_the_close() -> bool:
            raw = await bucket_value(nc, buckets.DAY_CLOSES, KEY)
            return (
                raw is not None
                and codec.decode(raw, ProductCloses).closes.get(RB10) is not None
                and codec.decode(raw, ProductCloses).closes[RB10].volume == 300_002
            )

        for _ in range(200):
            if await book_of_the_close():
                break
            await asyncio.sleep(0.05)
        assert await book_of_the_close(), "the day book never reached the bucket"
    finally:
        await first.stop()
    raw = await bucket_value(nc, buckets.MAIN_CONTRACTS, KEY)
    assert raw is not None
    decided = codec.decode(raw, MainContract)
    assert (decided.vt_symbol, decided.trading_day) == (RB05, DAY_A)

    second = await start_publisher(settings)
    client = AliasClient(second.endpoint)
    try:
        await client.join(nc)
        # Still Wednesday: the alias is the one decided before the restart, announced.
        await send(nc, [at(CLOSE_A, RB05, 5, volume=200_010, oi=90_000)])
        assert await client.frames(until_alias_of=RB05) == [
            (ANNOUNCE, f"{RB05} {DAY_A}"),
            (ALIAS, RB05),
        ]
        raw = await bucket_value(nc, buckets.MAIN_CONTRACTS, KEY)
        assert raw is not None and codec.decode(raw, MainContract) == decided  # not re-decided
        # Thursday: decided from Wednesday's closes, which the first publisher stored.
        await send(nc, night_b(0))
        assert await client.frames(until_alias_of=RB10) == [
            (ANNOUNCE, f"{RB10} {DAY_B}"),
            (ALIAS, RB10),
        ]
    finally:
        client.close()
        await second.stop()


async def test_a_shard_decides_for_its_exchanges_only(
    settings: Settings, nc: Client, routed: Routing
) -> None:
    other = MainContract(
        alias="m888.DCE",
        vt_symbol="m2605.DCE",
        trading_day=DAY_A,
        decided_at=dt.datetime.now(dt.UTC),
        reason="another shard's",
    )
    bucket = await kv.open_bucket(nc, buckets.MAIN_CONTRACTS, create=True)
    await bucket.put("DCE.m", codec.encode(other))
    shard = settings.model_copy(update={"publisher_exchanges": ["SHFE"]})
    publisher = await start_publisher(shard)
    try:
        assert publisher.bridge is not None and publisher.bridge.mains is not None
        mains = publisher.bridge.mains
        await nc.publish(subjects.ticks("sim-a", "SHFE"), batch(*night_a(0), *night_a(3)))
        await until(lambda: KEY in mains.products and mains.products[KEY].main is not None)
        assert set(mains.products) == {KEY}
    finally:
        await publisher.stop()
    entry = await bucket.get("DCE.m")
    assert entry.value is not None and codec.decode(entry.value, MainContract) == other
