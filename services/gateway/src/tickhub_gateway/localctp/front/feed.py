"""The sim feed as CTP depth records, and what the server needs from any feed.

Content is the ``sim`` source's (:class:`~tickhub_gateway.sources.sim.feed.SimFeed`):
a pure function of (contract, 500 ms slot, seed), so two fronts with the same seed
send identical records at identical slot times, and a ``ctp`` source on a local
front can be checked tick for tick against a ``sim`` source. Nothing of this
process (start time, counters) enters a record.

The mapping reproduces what the exchanges really send through CTP (what
:mod:`tickhub_gateway.sources.ctp.normalise` must cope with): CZCE has no
milliseconds, DCE's night session writes the trading day as ActionDay, an unset price
is ``DBL_MAX`` (ClosePrice and SettlementPrice during the session, the deltas), and
only SHFE and INE send five book levels; the others send level 1 and leave 2-5 empty.

Besides its configured contracts the sim ticks instruments of the front's list (the
sim market's listings) once they are subscribed, up to a cap (:class:`SimMarket`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection, Mapping
from typing import Protocol

from vnpy.trader.object import TickData

from tickhub_gateway.sources.sim.feed import NS, SimFeed, period_ns, slot_due
from tickhub_runtime.logs import get_logger

from ..protocol import DBL_MAX, DepthMarketData
from . import days

TICKS_PER_SECOND = 2.0
"""CTP's rhythm: a snapshot every 500 ms."""
SLOT_NS = period_ns(TICKS_PER_SECOND)
MAX_CATCH_UP_S = 2.0
"""After a longer hiccup (a stopped process) the feed skips ahead instead of
bursting stale slots, as a real front does (and as the sim gateway does)."""

FULL_BOOK_EXCHANGES = frozenset({"SHFE", "INE"})
"""Exchanges whose records carry five book levels; the others send level 1 only."""

log = get_logger(__name__)


class Burst(Protocol):
    """Records due at one moment, sent together as one burst."""

    def records(self, instruments: Collection[str]) -> list[DepthMarketData]:
        """This burst's records of ``instruments`` (those it has), in sending order."""
        ...


class Feed(Protocol):
    """What the front's server needs from a feed."""

    def describe(self) -> str: ...

    def knows(self, instrument: str) -> bool:
        """Whether records of ``instrument`` can ever come (CTP answers a
        subscription of anything with success; it just never sends data)."""
        ...

    def snapshot(self, instrument: str) -> DepthMarketData | None:
        """The last record of ``instrument`` the feed has given out, replayed on
        subscription as CTP replays its last snapshot; None before the first."""
        ...

    def bursts(self) -> AsyncIterator[Burst]:
        """Every burst when it is due, forever or until the feed ends."""
        ...


def _price(value: float | None) -> float:
    return DBL_MAX if value is None else value


def depth_record(tick: TickData, *, pre_open_interest: float, multiplier: float) -> DepthMarketData:
    """A vnpy tick as the record an exchange would send through CTP.

    PreSettlementPrice is the previous close (the sim has no settlement).
    AveragePrice is Turnover / Volume, which includes the contract multiplier on
    every exchange but CZCE, whose average is a plain price.
    """
    exchange = tick.exchange.value
    at = tick.datetime
    trading = days.trading_day(at)
    volume = int(tick.volume)
    average = 0.0
    if volume:
        average = tick.turnover / volume
        if exchange == days.CZCE:
            average /= multiplier
    full = exchange in FULL_BOOK_EXCHANGES

    def level(side: str, n: int) -> tuple[float, int]:
        if n > 1 and not full:
            return DBL_MAX, 0
        return _price(getattr(tick, f"{side}_price_{n}")), int(getattr(tick, f"{side}_volume_{n}"))

    (b1, bv1), (b2, bv2), (b3, bv3), (b4, bv4), (b5, bv5) = (level("bid", n) for n in range(1, 6))
    (a1, av1), (a2, av2), (a3, av3), (a4, av4), (a5, av5) = (level("ask", n) for n in range(1, 6))
    return DepthMarketData(
        TradingDay=days.ctp_date(trading),
        ExchangeID=exchange,
        LastPrice=_price(tick.last_price),
        PreSettlementPrice=_price(tick.pre_close),
        PreClosePrice=_price(tick.pre_close),
        PreOpenInterest=pre_open_interest,
        OpenPrice=_price(tick.open_price),
        HighestPrice=_price(tick.high_price),
        LowestPrice=_price(tick.low_price),
        Volume=volume,
        Turnover=float(tick.turnover),
        OpenInterest=float(tick.open_interest),
        ClosePrice=DBL_MAX,
        SettlementPrice=DBL_MAX,
        UpperLimitPrice=_price(tick.limit_up),
        LowerLimitPrice=_price(tick.limit_down),
        PreDelta=DBL_MAX,
        CurrDelta=DBL_MAX,
        UpdateTime=days.update_time(at),
        UpdateMillisec=days.update_millisec(exchange, at),
        BidPrice1=b1,
        BidVolume1=bv1,
        AskPrice1=a1,
        AskVolume1=av1,
        BidPrice2=b2,
        BidVolume2=bv2,
        AskPrice2=a2,
        AskVolume2=av2,
        BidPrice3=b3,
        BidVolume3=bv3,
        AskPrice3=a3,
        AskVolume3=av3,
        BidPrice4=b4,
        BidVolume4=bv4,
        AskPrice4=a4,
        AskVolume4=av4,
        BidPrice5=b5,
        BidVolume5=bv5,
        AskPrice5=a5,
        AskVolume5=av5,
        AveragePrice=average,
        ActionDay=days.ctp_date(days.action_day(exchange, at, trading)),
        InstrumentID=tick.symbol,
        ExchangeInstID=tick.symbol,
        BandingUpperPrice=DBL_MAX,
        BandingLowerPrice=DBL_MAX,
    )


class SimMarket:
    """The sim's contracts as CTP records: :meth:`record` is pure, like the sim's tick.

    It ticks the configured ``contracts`` and, given ``listed`` (instrument id ->
    exchange of what the front lists today), any listed instrument once it is asked
    for (:meth:`knows`), up to ``max_instruments`` in all: a front whose clients
    subscribe the whole market of 23,000 instruments must not tick (nor keep a day
    of prices for) every one of them. What is refused for the cap stays refused.
    """

    def __init__(
        self,
        contracts: Collection[str],
        seed: int = 0,
        *,
        listed: Callable[[], Mapping[str, str]] | None = None,
        max_instruments: int | None = None,
    ) -> None:
        self.seed = seed
        self._feeds: dict[str, SimFeed] = {}
        for vt_symbol in contracts:
            feed = SimFeed(vt_symbol, seed, TICKS_PER_SECOND)
            self._feeds[feed.symbol] = feed
        self.configured = len(self._feeds)
        self._listed = listed
        self.max_instruments = max(max_instruments or 0, self.configured)
        self.refused: set[str] = set()
        """Listed instruments not ticked because of the cap."""
        # (instrument, first slot of its sim day) -> open interest at that slot
        self._pre_open_interest: dict[tuple[str, int], float] = {}

    @property
    def instruments(self) -> list[str]:
        return list(self._feeds)

    def knows(self, instrument: str) -> bool:
        """Whether the market ticks ``instrument``: a configured contract, or a listed
        one admitted now or before (while there is room under the cap)."""
        if instrument in self._feeds:
            return True
        if self._listed is None or instrument in self.refused:
            return False
        exchange = self._listed().get(instrument)
        if exchange is None:
            return False
        if len(self._feeds) >= self.max_instruments:
            if not self.refused:
                log.warning(
                    "the sim feed ticks at most %d instruments: %s and any further ones get "
                    "no data",
                    self.max_instruments,
                    instrument,
                )
            self.refused.add(instrument)
            return False
        self._feeds[instrument] = SimFeed(f"{instrument}.{exchange}", self.seed, TICKS_PER_SECOND)
        return True

    def record(self, instrument: str, slot: int) -> DepthMarketData:
        """The record of ``instrument`` for ``slot``; KeyError for an unknown one."""
        feed = self._feeds[instrument]
        first = feed.trading_day_first_slot(slot)
        key = (instrument, first)
        pre_oi = self._pre_open_interest.get(key)
        if pre_oi is None:
            # The open interest the day began with: the same in every process.
            pre_oi = float(feed.tick(first).open_interest)
            stale = [k for k in self._pre_open_interest if k[0] == instrument]
            for old in stale:
                del self._pre_open_interest[old]
            self._pre_open_interest[key] = pre_oi
        return depth_record(
            feed.tick(slot), pre_open_interest=pre_oi, multiplier=feed.spec.multiplier
        )


class SimBurst:
    """One slot of the sim: every subscribed instrument's record, computed once."""

    def __init__(self, market: SimMarket, slot: int) -> None:
        self.market = market
        self.slot = slot

    def records(self, instruments: Collection[str]) -> list[DepthMarketData]:
        market = self.market
        return [market.record(i, self.slot) for i in instruments if market.knows(i)]


class SimRecordFeed:
    """The sim market, slot by slot on the wall clock (slot ``n`` is due at
    ``n * 500 ms`` after the Unix epoch, in every process alike)."""

    def __init__(
        self, market: SimMarket, clock: Callable[[], int] = time.time_ns, delay_ms: float = 0.0
    ) -> None:
        self.market = market
        self.clock = clock
        self.delay_ns = round(delay_ms * 1_000_000)
        """Each slot goes out this much after its time: a front farther from the
        exchange, so two fronts race as two brokers' fronts do (the records are alike)."""
        self.last_slot = slot_due(clock(), SLOT_NS, self.delay_ns)
        """The newest slot given out; before the first burst, the newest slot that is
        due (it is in the past, so its record is a snapshot a front could hold)."""
        self.slots_skipped = 0

    def describe(self) -> str:
        market = self.market
        listed = (
            f" and listed ones on subscription, {market.max_instruments} at most"
            if market.max_instruments > market.configured
            else ""
        )
        return f"sim feed (seed {market.seed}, {market.configured} contracts{listed})"

    def knows(self, instrument: str) -> bool:
        return self.market.knows(instrument)

    def snapshot(self, instrument: str) -> DepthMarketData | None:
        if not self.market.knows(instrument):
            return None
        return self.market.record(instrument, self.last_slot)

    async def bursts(self) -> AsyncGenerator[Burst, None]:
        max_behind = max(1, int(MAX_CATCH_UP_S * NS / SLOT_NS))
        next_slot = self.last_slot + 1
        while True:
            wait_s = (next_slot * SLOT_NS + self.delay_ns - self.clock()) / NS
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            due = slot_due(self.clock(), SLOT_NS, self.delay_ns)
            if due < next_slot:
                continue  # woke a little early
            if due - next_slot >= max_behind:
                skipped = due - next_slot + 1 - max_behind
                self.slots_skipped += skipped
                next_slot += skipped
            for slot in range(next_slot, due + 1):
                self.last_slot = slot
                yield SimBurst(self.market, slot)
            next_slot = due + 1
