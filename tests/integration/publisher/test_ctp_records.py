"""CTP records, normalised by the real ctp source (``TickhubMdApi``) as two accounts
would, through a real nats-server and the publisher to a ZeroMQ client: the tick rules
of docs/market-data.md with exact expected values."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from nats.aio.client import Client
from vnpy.event import EventEngine
from vnpy.trader.constant import Exchange
from vnpy.trader.object import SubscribeRequest

from tickhub_contracts.messages import CtpSettings, SourceConfig, Tick, TickDrops
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.ctp.gateway import CtpSourceGateway
from tickhub_gateway.sources.ctp.normalise import DBL_MAX
from tickhub_gateway.worker.convert import tick_message
from tickhub_publisher.app import Publisher

from .feed import Routing, ZmqClient, send_tick, until
from .test_bridge import routed

SR = "SR605.CZCE"


class Account:
    """One ctp account's md side, never connected: CTP's records go in, the Tick the
    worker would publish comes out (``trading_hours: always``: the session rule has
    its own tests, these are about identity)."""

    def __init__(self, name: str, now: datetime) -> None:
        config = SourceConfig(
            name=name,
            gateway_type="ctp",
            ctp=CtpSettings(md_fronts=["tcp://127.0.0.1:1"], md_library="local",
                            trading_hours="always"),
        )  # fmt: skip
        self.name = name
        self.gateway = CtpSourceGateway(EventEngine(), config)
        self.gateway.md_api.clock = lambda: now
        for vt in (SR, "rb2605.SHFE"):
            symbol, exchange = vt.split(".")
            self.gateway.subscribe(SubscribeRequest(symbol=symbol, exchange=Exchange(exchange)))

    def tick(self, record: dict[str, Any]) -> Tick:
        data = self.gateway.md_api.tick_data_of(record)
        assert data is not None
        extra = data.extra or {}
        return tick_message(data, self.name, time.time_ns(), extra.get("live", True),
                            extra.get("in_session", True))  # fmt: skip


def record(symbol: str, clock: str, day: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "InstrumentID": symbol, "TradingDay": day, "ActionDay": day, "UpdateTime": clock,
        "UpdateMillisec": 0, "LastPrice": 5600.0, "Volume": 10, "Turnover": 560_000.0,
        "OpenInterest": 300_000.0, "UpperLimitPrice": 6000.0, "LowerLimitPrice": 5200.0,
        "OpenPrice": 5590.0, "HighestPrice": 5610.0, "LowestPrice": 5580.0,
        "PreClosePrice": 5595.0, "BidPrice1": 5600.0, "BidVolume1": 8,
        "AskPrice1": 5601.0, "AskVolume1": 5,
    }  # fmt: skip
    for level in range(2, 6):
        for side in ("Bid", "Ask"):
            data[f"{side}Price{level}"], data[f"{side}Volume{level}"] = DBL_MAX, 0
    data.update(fields)
    return data


async def test_czce_quote_updates_and_a_conflating_front_give_each_tick_once(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    """Account a's front sends every snapshot of a whole second; b's merged the first
    two. Clients get each of the second's three ticks once, with times of their own,
    and the empty ask level as no price."""
    await client.join(nc)
    await routing.put(SR, "ctp-a", "ctp-b")
    await routed(publisher, SR, "ctp-a", "ctp-b")
    now = datetime(2026, 11, 25, 10, 0, 2, 300_000, tzinfo=CHINA_TZ)
    a, b = Account("ctp-a", now), Account("ctp-b", now)
    day = "20261125"
    r1 = record("SR605", "10:00:01", day)
    r2 = record("SR605", "10:00:01", day, AskPrice1=5602.0)  # quote only: same volume
    r3 = record("SR605", "10:00:01", day, Volume=12, Turnover=672_000.0, BidPrice1=5601.0,
                AskPrice1=5602.0)  # fmt: skip
    r4 = record("SR605", "10:00:02", day, Volume=12, Turnover=672_000.0, BidPrice1=5601.0,
                AskPrice1=0.0, AskVolume1=0)  # fmt: skip  # the ask side emptied
    arrivals = [(a, r1), (b, r2), (a, r2), (b, r3), (a, r3), (a, r4), (b, r4)]
    for account, rec in arrivals:
        await send_tick(nc, account.tick(rec))
    got = await client.ticks(4)
    await client.nothing_more()
    second = datetime(2026, 11, 25, 10, 0, 1, tzinfo=CHINA_TZ)
    assert [(t.datetime, t.volume, t.bid_price_1, t.ask_price_1, t.source, t.seq) for t in got] == [
        (second, 10.0, 5600.0, 5601.0, "ctp-a", 1),
        (second + timedelta(milliseconds=500), 10.0, 5600.0, 5602.0, "ctp-b", 2),
        (second + timedelta(milliseconds=501), 12.0, 5601.0, 5602.0, "ctp-b", 3),
        (second + timedelta(seconds=1), 12.0, 5601.0, None, "ctp-a", 4),
    ]
    assert got[3].ask_volume_1 == 0
    assert publisher.bridge is not None
    drops = publisher.bridge.drops
    assert drops["ctp-a"] == TickDrops(duplicate=2)
    assert drops["ctp-b"] == TickDrops(duplicate=1)


async def test_a_tick_from_the_future_is_dropped_and_holds_nothing_back(
    publisher: Publisher, client: ZmqClient, nc: Client, routing: Routing
) -> None:
    """Account b's front clock runs a minute ahead: its tick is counted, not sent, and
    a's later ticks (and b's own, once right) still go out."""
    await client.join(nc)
    rb = "rb2605.SHFE"
    await routing.put(rb, "ctp-a", "ctp-b")
    await routed(publisher, rb, "ctp-a", "ctp-b")
    now = datetime.now(CHINA_TZ).replace(microsecond=0) - timedelta(seconds=5)
    a, b = Account("ctp-a", now), Account("ctp-b", now)
    day = now.strftime("%Y%m%d")

    def at(offset_s: int, volume: int) -> dict[str, Any]:
        clock = (now + timedelta(seconds=offset_s)).strftime("%H:%M:%S")
        return record("rb2605", clock, day, Volume=volume, UpdateMillisec=500)

    ahead = b.tick(at(50, 20))  # within the source's clock tolerance, past the publisher's
    assert ahead.live
    await send_tick(nc, ahead)
    await send_tick(nc, a.tick(at(1, 10)))
    await send_tick(nc, a.tick(at(2, 9)))  # less volume the same day: stale
    await send_tick(nc, b.tick(at(3, 11)))
    got = await client.ticks(2)
    assert [(t.volume, t.source) for t in got] == [(10.0, "ctp-a"), (11.0, "ctp-b")]
    assert publisher.bridge is not None
    drops = publisher.bridge.drops

    def counted() -> bool:
        return drops["ctp-b"].future == 1 and drops["ctp-a"].stale == 1

    await until(counted, what="the future and stale ticks counted")
