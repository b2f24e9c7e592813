"""Fixes for the known faults of CTP market data: pure functions, no vnpy, no I/O.

CTP forwards what each exchange sends, and the exchanges disagree:

* ``ActionDay`` should be the calendar day of the tick, but DCE fills it with the
  *trading* day in its night session, so a Friday-night tick says Monday; other
  exchanges slip around midnight. So a tick near the local clock is dated by the
  clock: the day that puts it closest to now (:func:`nearest_datetime`). A tick far
  from it (a replay) keeps its real date: ActionDay, or on DCE at night the evening
  before the trading day it names (:func:`record_date`).
* CZCE (and some fronts for the others) send no milliseconds: two ticks of one
  second carry one time. The time is left as sent: the publisher, which sees the
  one stream clients get, tells such ticks apart (a source here cannot: what it
  saw depends on what its front conflated).
* A price the exchange did not set is ``DBL_MAX`` (:func:`price`); an empty book
  level is a price of 0 with a volume of 0 (:func:`book_price`).
* A tick outside every session of its product (a settlement re-send at 15:20, a
  replay after the close) is not live (:class:`SessionWindow`).
* A record without ``UpdateTime`` is not a tick (:func:`parse_update_time`).
* At login (and subscription) the front replays its last snapshot, which may be
  hours old; :func:`is_replay` and :func:`resolve_datetime` tell such ticks apart.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets import sessions
from tickhub_markets.trading_days import NIGHT_ENDS, NIGHT_STARTS, calendar_day_of

DBL_MAX = sys.float_info.max
"""CTP's "no price"."""

_DAY = timedelta(days=1)
_HALF_DAY = timedelta(hours=12)


def price(value: float) -> float | None:
    """A CTP price, with ``DBL_MAX`` (no price) as None.

    vnpy turns it into 0, which a strategy cannot tell from a real price of zero
    (spreads and options do trade at or below zero).
    """
    return None if value == DBL_MAX else value


def book_price(value: float, volume: float) -> float | None:
    """A price of the book: None where the level is empty, which CTP sends as
    ``DBL_MAX`` or as a price of 0 with a volume of 0 (a real level has a volume)."""
    if value == DBL_MAX or (value == 0.0 and volume == 0):
        return None
    return value


def parse_ctp_date(text: str) -> date | None:
    """``'20261124'`` -> ``date(2026, 11, 24)``; None for an empty or malformed date."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def record_date(exchange: str, action_day: str, trading_day: str, clock: time) -> date | None:
    """The calendar day of a record, from the record alone (for a tick far from the
    local clock, whose date the clock cannot tell): ActionDay, except in DCE's night
    session, where ActionDay holds the trading day and the day is the evening before
    it (or the morning after that evening). None when the record has no usable date."""
    night = clock >= NIGHT_STARTS or clock < NIGHT_ENDS
    action = parse_ctp_date(action_day)
    if exchange == "DCE" and night:
        trading = action or parse_ctp_date(trading_day)
        return None if trading is None else calendar_day_of(trading, clock)
    if action is not None:
        return action
    trading = parse_ctp_date(trading_day)
    return None if trading is None else calendar_day_of(trading, clock)


def parse_update_time(text: str) -> time | None:
    """``'21:00:01'`` -> ``time(21, 0, 1)``; None for an empty or malformed time.

    The caller drops such a record: with no time it cannot be ordered or placed.
    """
    if len(text) != 8 or text[2] != ":" or text[5] != ":":
        return None
    try:
        hour, minute, second = int(text[0:2]), int(text[3:5]), int(text[6:8])
        return time(hour, minute, second)
    except ValueError:
        return None


def nearest_datetime(clock: time, now: datetime, millisecond: int = 0) -> datetime:
    """The datetime with time of day ``clock`` (+ ms) closest to ``now`` (Asia/Shanghai).

    Candidates are yesterday, today and tomorrow of ``now``'s local date, so the result
    is always within 12 hours of ``now``: a Friday-night DCE tick is Friday whatever its
    ActionDay says, and 23:59:59.5 seen at 00:00:01 is yesterday. A tie (exactly 12 h
    either way) goes to the past: a front replays, it does not foretell.
    """
    local_now = now.astimezone(CHINA_TZ)
    today = local_now.date()
    at = time(clock.hour, clock.minute, clock.second, millisecond * 1000)
    best: datetime | None = None
    best_distance = timedelta.max
    for offset in (-1, 0, 1):
        candidate = datetime.combine(today + offset * _DAY, at, CHINA_TZ)
        distance = abs(candidate - local_now)
        if distance < best_distance:
            best, best_distance = candidate, distance
    assert best is not None  # three candidates, one is nearest
    return best


def resolve_datetime(
    clock: time, now: datetime, tolerance: timedelta, millisecond: int = 0
) -> tuple[datetime, bool]:
    """The tick's datetime and whether it is near the clock (within ``tolerance``).

    A tick near the clock gets :func:`nearest_datetime`. A far one is a snapshot from
    outside the session (e.g. yesterday's 15:00 close replayed at 08:55); nearest
    would put it 6 h into the *future*, which would poison every later tick's
    ordering, so a far tick that lands in the future is moved back a day: what the
    front replays happened before now.
    """
    at = nearest_datetime(clock, now, millisecond)
    distance = at - now
    if abs(distance) <= tolerance:
        return at, True
    if distance > timedelta(0):
        at -= _DAY
    return at, False


def is_replay(tick_at: datetime, reference: datetime) -> bool:
    """A first tick after login/subscription not newer than that moment is a replay."""
    return tick_at <= reference


class SessionWindow:
    """Whether a tick's time lies in a trading session of its product, with the
    margins real data has: the opening auction's tick (08:59, 20:59, CFFEX 09:29) and
    the closing tick a moment after the bell. Everything else (a settlement re-send
    at 15:20, a replay after the close, a holiday) is out of session.

    Per tick this is two comparisons: the window of each symbol's current session is
    kept and looked up again only when a tick falls outside it.
    """

    BEFORE = timedelta(minutes=5)
    """A session's ticks may start this long before it (the opening auction)."""
    AFTER = timedelta(seconds=60)
    """And end this long after it (the closing tick)."""

    __slots__ = ("_windows", "holidays")

    def __init__(self, holidays: frozenset[date] = frozenset()) -> None:
        self.holidays = holidays
        self._windows: dict[str, tuple[datetime, datetime]] = {}

    def covers(self, symbol: str, exchange: str, at: datetime) -> bool:
        """Whether ``at`` lies in a session window of ``symbol`` on ``exchange`` (the
        window is kept by symbol, as CTP names instruments: the hit builds nothing)."""
        window = self._windows.get(symbol)
        if window is not None and window[0] <= at < window[1]:
            return True
        vt_symbol = f"{symbol}.{exchange}"
        for probe in (at, at + self.BEFORE, at - self.AFTER):
            span = sessions.current_session(vt_symbol, probe, self.holidays)
            if span is not None:
                window = (span[0] - self.BEFORE, span[1] + self.AFTER)
                if window[0] <= at < window[1]:
                    self._windows[symbol] = window
                    return True
        return False
