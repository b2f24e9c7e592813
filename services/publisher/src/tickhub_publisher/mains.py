"""Main-contract aliases: per product, the month whose ticks go out a second time on
the product's alias topic (``rb888.SHFE``), and the day book it is decided from.

Pure and single-threaded (the bridge calls it on the event loop; the KV and NATS side
is :mod:`.mainstore`'s). What a product holds:

* its **main contract** (:class:`~tickhub_contracts.messages.MainContract`) for the
  trading day being traded, and the :class:`~.arbiter.Lane` of that month, so the
  tick path asks "is this the main?" with one identity test;
* its **day book**: the lanes of its futures (each lane keeps the last tick it sent,
  :attr:`Lane.last`), read only when a book is wanted: at a roll, and every ~30 s to
  persist it (:meth:`Mains.changed_books`). Nothing is copied per tick;
* ``due_at``: the next moment the product's state must be looked at. A forwarded
  tick dated at or after it calls :meth:`Mains.on_due`; every other tick pays one
  datetime comparison.

The **roll moment** of trading day D is 17:00 (Asia/Shanghai) on D:
:data:`tickhub_markets.trading_days.NIGHT_STARTS`, where CTP switches to the next
trading day. Every tick the publisher forwards from then on belongs to a later
trading day (its night session, or its first day session after a weekend or a
holiday), so the first one is the first tick of the new day. Not the next session's
start (21:00, or 09:00): the hub forwards the opening auction's tick, stamped up to
five minutes before the session (docs/market-data.md), and that tick already carries
the new day's volume. 17:00 needs no holiday calendar either.

At a roll the rule (``tickhub_universe.main_contract.decide``, passed in as
``decide``) picks the new day's main from the closes of the day that ended: per month
the last forwarded tick's volume and open interest, completed by the book stored in
KV for months not seen since a restart.

A product with neither a stored main contract nor stored closes (a fresh hub) gets a
**first decision** once it has been forwarded ticks for ``first_look_s`` seconds of
exchange time: the rule asked with no current contract and the last tick of each
month seen so far, which names the month with the highest open interest (reason
``"first decision: ..."``), so a fresh hub has aliases from its first minutes. Its
first roll then applies the rule to a whole day's closes.

Only futures take part: a symbol of letters and 3 or 4 digits ending in a month
(``rb2605``, ``SR605``), of a product the session table knows
(:func:`tickhub_markets.sessions.sessions_of`). Options (``au2606C600``,
``m2605-C-3000``) and foreign symbols do not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple, Protocol

from tickhub_contracts import buckets, subjects, zeromq
from tickhub_contracts.messages import DayClose, MainContract, ProductCloses, Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.sessions import sessions_of
from tickhub_markets.trading_days import NIGHT_STARTS, trading_day
from tickhub_universe.entries import alias_of

from .arbiter import Lane

FIRST_LOOK_S = 5.0
"""Exchange-time seconds of a fresh product's ticks looked at before its first
decision: long enough to see every month that trades, short enough for an alias in
the first minute."""

KEPT = "kept: no closes to decide from"

_FUTURE = re.compile(r"([A-Za-z]+)(?:\d{1,2})(?:0[1-9]|1[0-2])")
"""Letters, then 3 or 4 digits whose last two are a month."""

_LONG_AGO = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


class Verdict(Protocol):
    """What the rule returns (``tickhub_universe.main_contract.Decision``)."""

    @property
    def vt_symbol(self) -> str: ...
    @property
    def changed(self) -> bool: ...
    @property
    def reason(self) -> str: ...


class Decide(Protocol):
    """The rule: ``tickhub_universe.main_contract.decide``."""

    def __call__(
        self, current: str | None, closes: Mapping[str, DayClose], *, today: dt.date
    ) -> Verdict | None: ...


def future_product(symbol: str) -> str | None:
    """``'rb2605'`` -> ``'rb'``; None for anything that is not a future's symbol."""
    match = _FUTURE.fullmatch(symbol)
    return match.group(1) if match else None


def roll_moment(day: dt.date, tz: dt.tzinfo | None = CHINA_TZ) -> dt.datetime:
    """When trading day ``day`` ends for the aliases: 17:00 China time on ``day``,
    in ``tz`` (the ticks' own tzinfo: comparing datetimes of one tzinfo is cheap)."""
    return dt.datetime.combine(day, NIGHT_STARTS, tzinfo=CHINA_TZ).astimezone(tz)


class Product:
    """One product's alias state (made by :meth:`Mains.product_of`)."""

    __slots__ = (
        "alias",
        "announce_topic",
        "day",
        "due_at",
        "exchange",
        "key",
        "main",
        "main_lane",
        "months",
        "name",
        "persisted",
        "stored",
        "topic",
    )

    def __init__(self, exchange: str, name: str) -> None:
        self.exchange, self.name = exchange, name
        self.key = buckets.product_key(exchange, name)
        self.alias = alias_of(exchange, name)
        self.topic = zeromq.topic(self.alias)
        """The alias's topic frame: its main's ticks go out a second time on it."""
        self.announce_topic = zeromq.main_contract_topic(self.alias)
        self.due_at = _NEVER
        """A forwarded tick dated at or after this calls :meth:`Mains.on_due`."""
        self.day: dt.date | None = None
        """The trading day being traded (None until the product's first tick)."""
        self.main: MainContract | None = None
        self.main_lane: Lane | None = None
        """The main contract's lane: the tick path's one test."""
        self.months: dict[str, Lane] = {}
        """vt_symbol -> lane of every month of the product forwarded (the day book)."""
        self.stored: ProductCloses | None = None
        """The newest book known apart from the lanes: loaded from KV, or the last
        one persisted or closed."""
        self.persisted = -1
        """The lanes' seq total when the book was last handed out to persist."""


class Outcome(NamedTuple):
    """What :meth:`Mains.on_due` did that the world must hear of."""

    main: MainContract
    decided: bool
    """True: a decision of this trading day, to store in KV and log. False: an alias
    taken over from the bucket after a restart (only announced)."""
    changed: bool
    """The alias names another contract than before (NATS ``MAIN_CONTRACT_CHANGED``)."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Mains:
    """Every product's alias state. ``lane_of`` is the arbiter's (lanes made on first
    use), ``decide`` the rule."""

    def __init__(
        self,
        lane_of: Callable[[str], Lane],
        decide: Decide,
        *,
        first_look_s: float = FIRST_LOOK_S,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.lane_of = lane_of
        self.decide = decide
        self.first_look = dt.timedelta(seconds=first_look_s)
        self.clock = clock
        self.products: dict[str, Product] = {}
        """product key (``SHFE.rb``) -> its state."""
        self.loaded = False
        """Whether :meth:`load` ran: until then no product decides (what the buckets
        hold must not be overwritten by a decision made without it)."""
        self._mains: dict[str, MainContract] = {}
        self._closes: dict[str, ProductCloses] = {}

    # --- set-up -------------------------------------------------------------------

    def product_of(self, exchange: str, symbol: str) -> Product | None:
        """The product of a future's symbol, its lane registered in the day book;
        None when the symbol is no future of a known product. Once per source feed,
        never per tick."""
        name = future_product(symbol)
        if name is None:
            return None
        vt_symbol = f"{symbol}.{exchange}"
        if not sessions_of(vt_symbol).known:
            return None
        try:
            key = buckets.product_key(exchange, name)
        except subjects.InvalidToken:
            return None
        product = self.products.get(key)
        if product is None:
            product = self.products[key] = Product(exchange, name)
            if self.loaded:
                self._adopt(product)
        if vt_symbol not in product.months:
            product.months[vt_symbol] = self.lane_of(vt_symbol)
        return product

    def load(self, mains: Mapping[str, MainContract], closes: Mapping[str, ProductCloses]) -> None:
        """What the buckets hold (product key -> value); from now on products decide.
        Entries of products this publisher never forwards are kept aside, untouched."""
        self._mains = dict(mains)
        self._closes = dict(closes)
        self.loaded = True
        for product in self.products.values():
            self._adopt(product)

    def _adopt(self, product: Product) -> None:
        main = self._mains.get(product.key)
        if main is not None and main.alias == product.alias and product.main is None:
            product.main = main
        stored = self._closes.get(product.key)
        if stored is not None and product.stored is None:
            product.stored = stored
        if product.day is None:
            product.due_at = _LONG_AGO  # the next tick looks

    # --- the rare path of the tick path ------------------------------------------------

    def on_due(
        self, product: Product, lane: Lane, closing: Tick | None, tick: Tick
    ) -> Outcome | None:
        """``tick`` (of ``lane``, a month of ``product``) was just forwarded and is
        dated at or after ``product.due_at``. ``closing`` is what ``lane.last`` was
        before it: the month's last tick of the day that may just have ended."""
        at = tick.datetime
        today = trading_day(at)
        tz = at.tzinfo
        if product.day is None:
            return self._first_tick(product, lane, closing, at, today)
        if today > product.day:
            return self._roll(product, today, lane, closing, at)
        if product.main is None:
            return self._first_decision(product, tz)
        product.due_at = roll_moment(product.day, tz)
        return None

    def _first_tick(
        self, product: Product, lane: Lane, closing: Tick | None, at: dt.datetime, today: dt.date
    ) -> Outcome | None:
        """The product's first forwarded tick since the start (the buckets read)."""
        main = product.main
        if main is not None:
            if main.trading_day >= today:  # decided before a restart: keep it
                product.day = main.trading_day
                product.due_at = roll_moment(product.day, at.tzinfo)
                product.main_lane = self.lane_of(main.vt_symbol)
                return Outcome(main, decided=False, changed=False)
            product.day = main.trading_day
            return self._roll(product, today, lane, closing, at)
        stored = product.stored
        if stored is not None and stored.trading_day < today and stored.closes:
            product.day = stored.trading_day
            return self._roll(product, today, lane, closing, at)
        return self._look(product, today, at)

    def _look(self, product: Product, today: dt.date, at: dt.datetime) -> Outcome | None:
        """A fresh product: watch its ticks ``first_look`` long before deciding."""
        product.day = today
        product.due_at = min(at + self.first_look, roll_moment(today, at.tzinfo))
        if at >= product.due_at:  # no look at all
            return self._first_decision(product, at.tzinfo)
        return None

    def _first_decision(self, product: Product, tz: dt.tzinfo | None) -> Outcome | None:
        """The look is over: the rule, from what the day's ticks say so far."""
        day = product.day
        assert day is not None
        product.due_at = roll_moment(day, tz)
        closes = self._book(product, day)
        verdict = self.decide(None, closes, today=day) if closes else None
        if verdict is None:
            return None  # asked again at the roll
        return self._settle(product, day, verdict.vt_symbol, closes, verdict.reason, "")

    def _roll(
        self,
        product: Product,
        today: dt.date,
        lane: Lane,
        closing: Tick | None,
        at: dt.datetime,
    ) -> Outcome | None:
        """The first tick of trading day ``today``: decide it from the ended day's book."""
        ended = product.day
        assert ended is not None
        closes = self._book(product, ended, lane, closing)
        if closes:
            product.stored = ProductCloses(
                exchange=product.exchange, product=product.name, trading_day=ended, closes=closes
            )
        elif product.stored is not None:
            closes = dict(product.stored.closes)  # older, but the newest there is
        current = product.main.vt_symbol if product.main is not None else None
        product.day = today
        product.due_at = roll_moment(today, at.tzinfo)
        verdict = self.decide(current, closes, today=today) if closes else None
        if verdict is None:
            if current is None:
                return self._look(product, today, at)
            return self._settle(product, today, current, closes, KEPT, current)
        return self._settle(
            product, today, verdict.vt_symbol, closes, verdict.reason, current or ""
        )

    def _settle(
        self,
        product: Product,
        today: dt.date,
        vt_symbol: str,
        closes: Mapping[str, DayClose],
        reason: str,
        previous: str,
    ) -> Outcome:
        close = closes.get(vt_symbol)
        main = MainContract(
            alias=product.alias,
            vt_symbol=vt_symbol,
            trading_day=today,
            decided_at=self.clock(),
            previous=previous,
            open_interest=close.open_interest if close is not None else 0.0,
            volume=close.volume if close is not None else 0.0,
            reason=reason,
        )
        product.main = main
        product.main_lane = self.lane_of(vt_symbol)
        return Outcome(main, decided=True, changed=vt_symbol != previous)

    # --- the day book -------------------------------------------------------------------

    def _book(
        self,
        product: Product,
        day: dt.date,
        lane: Lane | None = None,
        closing: Tick | None = None,
    ) -> dict[str, DayClose]:
        """vt_symbol -> the last volume and open interest forwarded on trading day
        ``day`` (``closing`` standing for ``lane``'s last tick), over the stored book
        of that day for months not forwarded since."""
        stored = product.stored
        closes = dict(stored.closes) if stored is not None and stored.trading_day == day else {}
        for vt_symbol, month in product.months.items():
            last = closing if month is lane else month.last
            if last is not None and trading_day(last.datetime) == day:
                closes[vt_symbol] = DayClose(volume=last.volume, open_interest=last.open_interest)
        return closes

    def book(self, product: Product) -> ProductCloses | None:
        """The product's book of the trading day being traded (None: nothing yet)."""
        if product.day is None:
            return None
        closes = self._book(product, product.day)
        if not closes:
            return None
        return ProductCloses(
            exchange=product.exchange, product=product.name, trading_day=product.day, closes=closes
        )

    def changed_books(self, products: Iterable[Product] | None = None) -> list[ProductCloses]:
        """The books of the products forwarded ticks since their last call, each
        becoming the product's stored book. Reads each month's seq, nothing more."""
        found = []
        for product in self.products.values() if products is None else products:
            stamp = sum(lane.seq for lane in product.months.values())
            if stamp == product.persisted:
                continue
            book = self.book(product)
            if book is None:
                continue
            product.persisted = stamp
            product.stored = book
            found.append(book)
        return found
