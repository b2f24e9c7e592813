"""Trading sessions of the Chinese futures exchanges.

The health service asks whether a canary's market is open (silence outside the session
is ``MARKET_CLOSED``, not a failure); the gateway's sim asks the same to tick only in
session. Everything here is pure: the time is passed in.

Rules (Asia/Shanghai wall time, intervals half-open ``[start, end)``):

- Day sessions by exchange: commodities (SHFE, DCE, CZCE, INE, GFEX) 09:00-10:15,
  10:30-11:30, 13:30-15:00; CFFEX index futures (IF, IH, IC, IM) 09:30-11:30,
  13:00-15:00; CFFEX bond futures (T, TF, TS, TL) 09:30-11:30, 13:00-15:15.
- Night sessions by product start at 21:00 and end at 23:00, 01:00 or 02:30
  (:data:`NIGHT_ENDS`); other products have none.
- A day session runs on a trading day: Monday to Friday and not a holiday.
- The night session of evening D runs when D is a trading day and the next weekday
  after D (Friday -> Monday) is not a holiday. So Friday night runs (it belongs to
  Monday) and continues past midnight into Saturday morning; there is none on
  Saturday or Sunday evening, on a holiday's evening, nor on the evening before a
  holiday or before the first trading day after a long holiday.
- A product not in the tables gets its exchange's day session and no night session
  (:attr:`ProductSessions.known` is False); an unknown exchange gets the commodity
  day session.

Times may be aware in any zone (they are converted); a naive time is read as
Asia/Shanghai wall time, which is what CTP and vnpy stamp (Shanghai has no DST, so
this is never ambiguous).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from tickhub_contracts.timezone import CHINA_TZ

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

COMMODITY_EXCHANGES = frozenset({"SHFE", "DCE", "CZCE", "INE", "GFEX"})

CFFEX_INDEX = frozenset({"if", "ih", "ic", "im"})
CFFEX_BOND = frozenset({"t", "tf", "ts", "tl"})


def _ends(end: dt.time, products: str) -> dict[str, dt.time]:
    return {product.lower(): end for product in products.split()}


_0230, _0100, _2300 = dt.time(2, 30), dt.time(1, 0), dt.time(23, 0)

NIGHT_ENDS: dict[str, dict[str, dt.time]] = {
    "SHFE": {
        **_ends(_0230, "au ag"),
        **_ends(_0100, "cu al zn pb ni sn ss ao"),
        **_ends(_2300, "rb hc bu ru fu sp br"),
    },
    "INE": {**_ends(_0230, "sc"), **_ends(_0100, "bc"), **_ends(_2300, "lu nr")},
    "DCE": _ends(_2300, "a b m y p c cs i j jm l v pp eg eb pg rr"),
    "CZCE": _ends(_2300, "SR CF CY TA MA FG RM OI ZC SA PF PX SH"),
}
"""Exchange -> product (lower case) -> when its night session ends."""

DAY_ONLY: dict[str, frozenset[str]] = {
    "CZCE": frozenset({"ap", "cj", "ur", "sm", "sf", "pk"}),
    "DCE": frozenset({"jd", "lh"}),
    "GFEX": frozenset({"si", "lc"}),
    "CFFEX": CFFEX_INDEX | CFFEX_BOND,
}
"""Products known to trade in the day session only (the rest of the unknowns are
treated the same way, but flagged as unknown)."""

_PRODUCT = re.compile(r"[A-Za-z]+")


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
    """False: the product is not in the tables and was given its exchange's defaults."""

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
    key = product.lower()
    day = COMMODITY_DAY
    if exchange == "CFFEX":
        day = BOND_DAY if key in CFFEX_BOND else INDEX_DAY
    night_end = NIGHT_ENDS.get(exchange, {}).get(key)
    known = night_end is not None or key in DAY_ONLY.get(exchange, frozenset())
    return ProductSessions(
        exchange=exchange, product=product, day=day, night_end=night_end, known=known
    )


def is_trading_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> bool:
    """Monday to Friday and not a holiday (exchanges never trade at weekends, not
    even on the weekend days China swaps in for long holidays)."""
    return day.weekday() < 5 and day not in holidays


def _next_weekday(day: dt.date) -> dt.date:
    step = 3 if day.weekday() == 4 else 2 if day.weekday() == 5 else 1
    return day + dt.timedelta(days=step)


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
    if sessions.night_end is not None and _next_weekday(day) not in holidays:
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
