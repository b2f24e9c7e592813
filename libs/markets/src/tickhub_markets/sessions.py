"""Trading sessions of the Chinese futures exchanges.

The health service asks whether a canary's market is open (silence outside the session
is ``MARKET_CLOSED``, not a failure); the gateway's sim asks the same to tick only in
session. Everything here is pure: the time is passed in, and the only I/O is reading
the product table once, at import.

Rules (Asia/Shanghai wall time, intervals half-open ``[start, end)``):

- Which product trades when is the table in ``sessions.toml`` beside this module (the
  exchanges' notices cited per group; :data:`PRODUCTS`). It names each product's day
  session: commodities (SHFE, DCE, CZCE, INE, GFEX) 09:00-10:15, 10:30-11:30,
  13:30-15:00; CFFEX index futures (IF, IH, IC, IM) 09:30-11:30, 13:00-15:00; CFFEX
  bond futures (T, TF, TS, TL) 09:30-11:30, 13:00-15:15.
- Night sessions by product start at 21:00 and end at 23:00, 01:00 or 02:30
  (:data:`NIGHT_ENDS`); other products have none (:data:`DAY_ONLY`).
- A day session runs on a trading day: Monday to Friday and not a holiday.
- The night session of evening D runs when D is a trading day and the next weekday
  after D (Friday -> Monday) is not a holiday. So Friday night runs (it belongs to
  Monday) and continues past midnight into Saturday morning; there is none on
  Saturday or Sunday evening, on a holiday's evening, nor on the evening before a
  holiday or before the first trading day after a long holiday.
- A product not in the table gets its exchange's day session and no night session
  (:attr:`ProductSessions.known` is False; :mod:`.unknown` logs it once); an unknown
  exchange gets the commodity day session.

Times may be aware in any zone (they are converted); a naive time is read as
Asia/Shanghai wall time, which is what CTP and vnpy stamp (Shanghai has no DST, so
this is never ambiguous).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from tickhub_contracts.timezone import CHINA_TZ

from .calendar import next_weekday

Span = tuple[dt.time, dt.time]

NIGHT_START = dt.time(21, 0)

COMMODITY_DAY: tuple[Span, ...] = (
    (dt.time(9, 0), dt.time(10, 15)),
    (dt.time(10, 30), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(15, 0)),
)
INDEX_DAY: tuple[Span, ...] = (
    (dt.time(9, 30), dt.time(11, 30)),
    (dt.time(13, 0), dt.time(15, 0)),
)
BOND_DAY: tuple[Span, ...] = (
    (dt.time(9, 30), dt.time(11, 30)),
    (dt.time(13, 0), dt.time(15, 15)),
)

DAY_SESSIONS: dict[str, tuple[Span, ...]] = {
    "commodity": COMMODITY_DAY,
    "index": INDEX_DAY,
    "bond": BOND_DAY,
}
"""The table's ``day`` kinds."""

EXCHANGES = ("SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX")
COMMODITY_EXCHANGES = frozenset({"SHFE", "DCE", "CZCE", "INE", "GFEX"})

TABLE_FILE = "sessions.toml"
"""The product table, package data of :mod:`tickhub_markets`."""


@dataclass(frozen=True, slots=True)
class Product:
    """One row of the table: a product and when it trades."""

    exchange: str
    product: str
    """As the table (and the symbols) write it: CZCE and CFFEX upper case."""
    day: str
    """A key of :data:`DAY_SESSIONS`."""
    night_end: dt.time | None
    """End of the night session that starts at 21:00; None: no night session."""
    source: str
    """The notice(s) the hours come from, as the table cites them."""


def _hhmm(value: Any, where: str) -> dt.time:
    if not isinstance(value, str) or not re.fullmatch(r"\d\d:\d\d", value):
        raise ValueError(f"{where}: night_end must be 'HH:MM', not {value!r}")
    end = dt.time.fromisoformat(value)
    if end == NIGHT_START:
        raise ValueError(f"{where}: a night session cannot end when it starts")
    return end


def parse_table(text: str) -> dict[str, dict[str, Product]]:
    """``sessions.toml``'s text -> exchange -> product (lower case) -> its row.

    Raises ValueError naming the group when a row is malformed or a product is listed
    twice on one exchange."""
    groups = tomllib.loads(text).get("group")
    if not isinstance(groups, list):
        raise ValueError("the table has no [[group]]")
    table: dict[str, dict[str, Product]] = {exchange: {} for exchange in EXCHANGES}
    for number, group in enumerate(groups, 1):
        exchange = group.get("exchange")
        where = f"group {number} ({exchange})"
        if exchange not in table:
            raise ValueError(f"{where}: exchange must be one of {', '.join(EXCHANGES)}")
        day = group.get("day", "commodity")
        if day not in DAY_SESSIONS:
            raise ValueError(f"{where}: day must be one of {', '.join(DAY_SESSIONS)}")
        night = group.get("night_end")
        night_end = None if night is None else _hhmm(night, where)
        source = group.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ValueError(f"{where}: every group cites its source")
        products = group.get("products")
        if not isinstance(products, list) or not products:
            raise ValueError(f"{where}: products must be a non-empty list")
        for product in products:
            if not isinstance(product, str) or not re.fullmatch(r"[A-Za-z]+", product):
                raise ValueError(f"{where}: product {product!r} must be letters")
            key = product.lower()
            if key in table[exchange]:
                raise ValueError(f"{where}: {exchange} {product} is listed twice")
            table[exchange][key] = Product(exchange, product, day, night_end, source)
    return table


PRODUCTS: dict[str, dict[str, Product]] = parse_table(
    resources.files("tickhub_markets").joinpath(TABLE_FILE).read_text(encoding="utf-8")
)
"""Exchange -> product (lower case) -> its row of ``sessions.toml``."""

NIGHT_ENDS: dict[str, dict[str, dt.time]] = {
    exchange: {key: row.night_end for key, row in rows.items() if row.night_end is not None}
    for exchange, rows in PRODUCTS.items()
}
"""Exchange -> product (lower case) -> when its night session ends."""

DAY_ONLY: dict[str, frozenset[str]] = {
    exchange: frozenset(key for key, row in rows.items() if row.night_end is None)
    for exchange, rows in PRODUCTS.items()
}
"""Exchange -> the products (lower case) known to trade in the day session only (the
unknown ones are treated the same way, but flagged as unknown)."""

CFFEX_INDEX = frozenset(key for key, row in PRODUCTS["CFFEX"].items() if row.day == "index")
CFFEX_BOND = frozenset(key for key, row in PRODUCTS["CFFEX"].items() if row.day == "bond")

_PRODUCT = re.compile(r"[A-Za-z]+")


def _any_case(letters: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in letters)


def known_vt_symbol_pattern(
    exchanges: Iterable[str] = EXCHANGES, max_symbol_length: int = 64
) -> str:
    """A regular expression that matches exactly the vt_symbols whose product is in the
    table (:attr:`ProductSessions.known`), for a JSON Schema ``pattern``: the product's
    letters in any case, then nothing or a digit, ``_`` or ``-`` and more of
    ``[A-Za-z0-9_-]`` up to ``max_symbol_length`` characters in all, then ``.`` and one
    of ``exchanges`` (upper case). No look-around, so every regex dialect reads it."""
    alternatives = []
    for exchange in exchanges:
        by_length: dict[int, list[str]] = {}
        for key in sorted(PRODUCTS.get(exchange, {})):
            by_length.setdefault(len(key), []).append(_any_case(key))
        parts = []
        for length, products in sorted(by_length.items()):
            rest = max_symbol_length - length - 1
            tail = f"(?:[0-9_-][A-Za-z0-9_-]{{0,{rest}}})?" if rest >= 0 else ""
            if length <= max_symbol_length:
                parts.append(f"(?:{'|'.join(products)}){tail}")
        if parts:
            alternatives.append(f"(?:{'|'.join(parts)})\\.{re.escape(exchange)}")
    return f"^(?:{'|'.join(alternatives)})$"


@dataclass(frozen=True, slots=True)
class ProductSessions:
    """When one product trades, as wall-clock spans in Asia/Shanghai."""

    exchange: str
    product: str
    """As written in the symbol (CZCE upper case, the others lower)."""
    day: tuple[Span, ...]
    night_end: dt.time | None
    """End of the night session that starts at 21:00; None: no night session."""
    known: bool
    """False: the product is not in the table and was given its exchange's defaults."""

    @property
    def night(self) -> Span | None:
        return None if self.night_end is None else (NIGHT_START, self.night_end)


@lru_cache(maxsize=4096)
def sessions_of(vt_symbol: str) -> ProductSessions:
    """The sessions of ``vt_symbol`` (``rb2605.SHFE``): product = the letters before
    the digits, matched case-insensitively within its exchange."""
    symbol, sep, exchange = vt_symbol.rpartition(".")
    if not sep or not symbol:
        raise ValueError(f"vt_symbol {vt_symbol!r} must look like SYMBOL.EXCHANGE")
    exchange = exchange.upper()
    match = _PRODUCT.match(symbol)
    product = match.group(0) if match else ""
    row = PRODUCTS.get(exchange, {}).get(product.lower())
    if row is None:
        day = INDEX_DAY if exchange == "CFFEX" else COMMODITY_DAY
        return ProductSessions(exchange, product, day, None, known=False)
    return ProductSessions(exchange, product, DAY_SESSIONS[row.day], row.night_end, known=True)


def products_of(exchange: str) -> Mapping[str, Product]:
    """The table's rows of ``exchange`` (product in lower case -> row); empty for an
    exchange it does not know."""
    return PRODUCTS.get(exchange.upper(), {})


def is_trading_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> bool:
    """Monday to Friday and not a holiday (exchanges never trade at weekends, not
    even on the weekend days China swaps in for long holidays)."""
    return day.weekday() < 5 and day not in holidays


def _local(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        return at.replace(tzinfo=CHINA_TZ)
    return at.astimezone(CHINA_TZ)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=CHINA_TZ)


def _spans_of_date(
    sessions: ProductSessions, day: dt.date, holidays: frozenset[dt.date]
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """The concrete sessions that start on calendar date ``day``, in time order (the
    night one may end on the next date)."""
    if not is_trading_day(day, holidays):
        return
    for start, end in sessions.day:
        yield _at(day, start), _at(day, end)
    if sessions.night_end is not None and next_weekday(day) not in holidays:
        end_day = day + dt.timedelta(days=1) if sessions.night_end <= NIGHT_START else day
        yield _at(day, NIGHT_START), _at(end_day, sessions.night_end)


# How far next_open looks ahead before giving up: longer than any real closure.
_HORIZON_DAYS = 400


def _spans_from(
    sessions: ProductSessions, local: dt.datetime, holidays: frozenset[dt.date]
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Every session that has not ended by ``local``, in time order. It starts one
    date back: last evening's night session may still run this morning."""
    first = local.date() - dt.timedelta(days=1)
    for offset in range(_HORIZON_DAYS):
        for start, end in _spans_of_date(sessions, first + dt.timedelta(days=offset), holidays):
            if end > local:
                yield start, end


def current_session(
    vt_symbol: str, at: dt.datetime, holidays: frozenset[dt.date] = frozenset()
) -> tuple[dt.datetime, dt.datetime] | None:
    """The session ``[start, end)`` that ``at`` falls in (Asia/Shanghai), or None when
    the market is closed. The health service counts a canary's silence from the later
    of its last tick and ``start``, so a market that just opened is not a stale one."""
    local = _local(at)
    sessions = sessions_of(vt_symbol)
    for start, end in _spans_from(sessions, local, holidays):
        return (start, end) if start <= local else None
    return None


def is_open(vt_symbol: str, at: dt.datetime, holidays: frozenset[dt.date] = frozenset()) -> bool:
    """Whether ``vt_symbol``'s market is in session at ``at``."""
    return current_session(vt_symbol, at, holidays) is not None


def next_open(
    vt_symbol: str, at: dt.datetime, holidays: frozenset[dt.date] = frozenset()
) -> dt.datetime:
    """``at`` itself when the market is open, else when it opens next (Asia/Shanghai).
    Raises ValueError when the holidays leave no session within a year or so."""
    local = _local(at)
    for start, _end in _spans_from(sessions_of(vt_symbol), local, holidays):
        return at if start <= local else start
    raise ValueError(f"{vt_symbol}: no session within {_HORIZON_DAYS} days of {at.isoformat()}")
