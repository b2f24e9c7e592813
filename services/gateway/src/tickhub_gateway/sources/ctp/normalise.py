"""Fixes for the known faults of CTP market data: pure functions, no vnpy, no I/O.

CTP forwards what each exchange sends, and the exchanges disagree:

* ``ActionDay`` should be the calendar day of the tick, but DCE fills it with the
  *trading* day, so a Friday-night tick says Monday; other exchanges slip around
  midnight. Only ``UpdateTime`` is trustworthy, so the date is chosen from the
  local clock: the day that puts the tick closest to now (:func:`nearest_datetime`).
* CZCE sends no milliseconds: ``UpdateMillisec`` is always 0 and both of a second's
  ticks carry the same time. :class:`SecondStamper` spreads them deterministically.
* A price the exchange did not set is ``DBL_MAX`` (:func:`price`).
* A record without ``UpdateTime`` is not a tick (:func:`parse_update_time`).
* At login (and subscription) the front replays its last snapshot, which may be
  hours old; :func:`is_replay` and :func:`resolve_datetime` tell such ticks apart.
"""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta

from tickhub_contracts.timezone import CHINA_TZ

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


class SecondStamper:
    """Gives ticks that share a second distinct, increasing times.

    The k-th tick of a contract within one second gets, after the whole second:
    k=0: +0 ms, k=1: +500 ms (CTP's cadence is two ticks a second), then +1 ms
    steps (501, 502, ... 998 ms), then 1 µs steps after 999 ms. It depends only on
    the order of ticks, not on arrival time, so two sources that see the same ticks
    stamp them the same.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, tuple[datetime, int]] = {}

    @staticmethod
    def offset(k: int) -> timedelta:
        """The offset of the k-th tick (k >= 0) within its second."""
        if k == 0:
            return timedelta(0)
        if k < 500:
            return timedelta(milliseconds=499 + k)
        # Past 998 ms: microseconds, capped at the end of the second.
        return timedelta(microseconds=min(999_000 + (k - 500), 999_999))

    def stamp(self, symbol: str, second: datetime) -> datetime:
        """``second`` (a whole second) plus this tick's offset within it."""
        last = self._last.get(symbol)
        k = last[1] + 1 if last is not None and last[0] == second else 0
        self._last[symbol] = (second, k)
        return second + self.offset(k)

    def forget(self, symbol: str | None = None) -> None:
        """Drop what is known about ``symbol`` (all symbols when None)."""
        if symbol is None:
            self._last.clear()
        else:
            self._last.pop(symbol, None)
