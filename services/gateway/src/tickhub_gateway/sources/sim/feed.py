"""The sim's market: tick content as a pure function of (contract, slot, seed).

Two sim sources must print the *same* tick for the same contract and time slot, so
that redundancy and failover can be checked tick by tick. Nothing here may depend on
the source, on wall-clock time or on what was generated before: every field is
derived from a stable hash of (vt_symbol, seed) and the slot index.

Time is cut into slots of ``1 / ticks_per_second``, counted from the Unix epoch, so a
slot index names the same instant in every process. A *sim trading day* starts at
17:00 Beijing time (between CTP's day-session close and night-session open, where a
real feed's volume resets): volume, turnover, open/high/low restart there.

Prices follow a random walk with one knot per minute (cumulated once per contract
and day, then cached), interpolated between knots, plus a small per-slot jitter.
That keeps every slot O(1) while ``high_price``/``low_price`` stay true running
extremes: they bound every price printed so far in the day and never retreat.

A day's hashes are drawn in numpy (``mix_range``: the same bits as ``mix`` one by
one, and the same floats from them) and its series kept as compact arrays of
doubles, because a sim worker builds a day for every subscribed contract before its
first tick. The memos on the tick path only skip recomputing what the same inputs
gave before, so none of this changes a value.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock

import numpy as np
import numpy.typing as npt
from vnpy.trader.constant import Exchange
from vnpy.trader.object import TickData

from tickhub_contracts.timezone import CHINA_TZ

from .products import spec_for
from .randomness import mix, mix_range, mix_salted, salted, stable_hash, unit, unit_array

EPOCH = datetime(1970, 1, 1, tzinfo=UTC).astimezone(CHINA_TZ)

NS = 1_000_000_000
DAY_NS = 86_400 * NS
# 17:00 in Beijing (UTC+8, no DST) is 09:00 UTC.
DAY_START_NS = 9 * 3_600 * NS
KNOT_NS = 60 * NS
KNOTS_PER_DAY = DAY_NS // KNOT_NS

JITTER_TICKS = 2
"""Per-slot noise around the minute path, in ticks; also the margin of high/low."""
BOOK_DEPTH = 5
LIMIT_PCT = 0.07
"""Daily price limit around the previous close (SHFE rebar's is 7%)."""

MAX_TICKS_PER_SECOND = 1_000.0

# salts: one per independent random quantity
_S_DAY, _S_CLOSE, _S_STEP, _S_JITTER, _S_VOLUME, _S_BOOK, _S_BOOK2, _S_OI = range(1, 9)

# The exchange time of the last tick built, by microseconds since the epoch. Every
# contract of a phase group ticks at the same instant, so consecutive ticks mostly
# share it; a datetime is immutable, so sharing the object changes no value. One
# tuple, swapped whole: a concurrent caller sees an old pair or a new one.
_last_time: tuple[int, datetime] = (0, EPOCH)


def period_ns(ticks_per_second: float) -> int:
    """Length of one slot; raises ValueError for a rate the sim cannot keep."""
    if not (0 < ticks_per_second <= MAX_TICKS_PER_SECOND) or math.isnan(ticks_per_second):
        raise ValueError(
            f"ticks_per_second must be in (0, {MAX_TICKS_PER_SECOND:g}], got {ticks_per_second}"
        )
    return round(NS / ticks_per_second)


def slot_due(now_ns: int, period: int, delay_ns: int = 0) -> int:
    """The newest slot whose arrival time (slot start + delay) is not after ``now_ns``."""
    return (now_ns - delay_ns) // period


def _walk(
    start: float, moves: npt.NDArray[np.float64], lo: int, hi: int
) -> npt.NDArray[np.float64]:
    """The minute path ``value = min(hi, max(lo, value + move))`` from ``start`` (the
    first knot, itself not clamped).

    While no step reaches a bound, each knot is the previous one plus its move, and
    ``np.add.accumulate`` adds in exactly that order (it is sequential: one IEEE
    float64 addition per element), so it gives the same floats as the loop. A day
    that touches a bound anywhere (or a contract so cheap that ``lo > hi``) takes the
    loop, which is the definition.
    """
    path = np.add.accumulate(np.concatenate(([start], moves)))
    inside = path[1:]
    if bool(((inside > lo) & (inside < hi)).all()):
        return path
    value = start
    knots = [value]
    for move in moves.tolist():
        value = min(hi, max(lo, value + move))
        knots.append(value)
    # A bound is an int here; as float64 it is the same number.
    return np.array(knots, dtype=np.float64)


def _series(values: npt.NDArray[np.float64]) -> array[float]:
    # array('d'): 8 bytes an element (a tuple of floats takes ~32), built by one
    # copy, and indexing it gives a Python float, as the tick path needs.
    return array("d", values.tobytes())


@dataclass(frozen=True, slots=True)
class _Day:
    """One contract's trading day: the minute path and its running extremes, in ticks."""

    index: int
    first_slot: int
    start_ns: int
    open_ticks: int
    pre_close_ticks: int
    limit_up_ticks: int
    limit_down_ticks: int
    knots: array[float]
    running_max: array[float]
    running_min: array[float]
    open_interest: array[float]
    open_price_ticks: int
    # The day's constant prices and turnover factor, ready to print.
    prices: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """(limit_up, limit_down, open_price, pre_close)"""
    turnover_per_lot: float = 0.0


class SimFeed:
    """Ticks of one contract. ``tick(slot)`` is pure: same arguments, same tick.

    The per-day path is cached (a day is 1,441 knots), so generating consecutive
    slots costs a few hashes each: the sim must keep up with hundreds of contracts
    at 100 ticks/s in one process. Thread-safe.
    """

    def __init__(self, vt_symbol: str, seed: int = 0, ticks_per_second: float = 2.0) -> None:
        symbol, sep, exchange = vt_symbol.rpartition(".")
        if not sep or not symbol:
            raise ValueError(f"vt_symbol {vt_symbol!r} must look like SYMBOL.EXCHANGE")
        self.vt_symbol = vt_symbol
        self.symbol = symbol
        self.exchange = Exchange(exchange)  # ValueError for an exchange vnpy does not know
        self.seed = seed
        self.period_ns = period_ns(ticks_per_second)
        self.spec = spec_for(symbol)
        self._key = stable_hash(f"{vt_symbol}|{seed}")
        # The per-slot hashes' (key, salt) part, drawn once (see randomness.mix_salted).
        self._book_key = salted(self._key, _S_BOOK)
        self._book2_key = salted(self._key, _S_BOOK2)
        self._volume_key = salted(self._key, _S_VOLUME)
        tick = self.spec.tick_size
        self._tick = tick
        self._decimals = max(0, -math.floor(math.log10(tick) + 1e-9)) if tick < 1 else 0
        # Prices are ticks * tick_size computed as int / int (0.02 = 2 / 100): Python
        # rounds a true division correctly, so 600.02 never prints as
        # 600.0200000000001, and it is cheaper than round() on the tick path.
        self._scale: int = 10**self._decimals
        self._tick_scaled: int = round(tick * self._scale)
        self._base_ticks = max(100, round(self.spec.base_price / tick))
        # Lots per slot: volume per second spread over the slots of one second.
        self._lots_per_slot = max(1, round(self.spec.volume_per_s * self.period_ns / NS))
        # A book level's size is size * (1 + 6 hash bits): the 64 possible floats.
        size = max(1, self._lots_per_slot // 2)
        self._level_sizes = tuple(float(size * (1 + bits)) for bits in range(64))
        self._days: dict[int, _Day] = {}
        self._lock = Lock()
        # Memos (pure: they only skip recomputing what the same inputs gave before).
        # Each is one tuple, swapped whole, so concurrent callers never see half of it.
        self._current: tuple[int, _Day] | None = None
        self._last_bump: tuple[int, int] = (-1, 0)

    # --- the day ---------------------------------------------------------------

    def _day(self, day: int) -> _Day:
        current = self._current
        if current is not None and current[0] == day:
            return current[1]
        with self._lock:
            cached = self._days.get(day)
            if cached is None:
                cached = self._make_day(day)
                # Keep today and yesterday: a slot near the boundary may ask for either.
                for old in [d for d in self._days if d < day - 1]:
                    del self._days[old]
                self._days[day] = cached
            self._current = (day, cached)
            return cached

    def _make_day(self, day: int) -> _Day:
        key = self._key
        base = self._base_ticks
        open_ticks = round(base * (1 + (unit(mix(key, day, _S_DAY)) - 0.5) * 0.06))
        pre_close = round(open_ticks * (1 + (unit(mix(key, day, _S_CLOSE)) - 0.5) * 0.01))
        limit_up = math.floor(pre_close * (1 + LIMIT_PCT))
        limit_down = math.ceil(pre_close * (1 - LIMIT_PCT))
        # The walk stays far enough inside the limits that every book level exists.
        lo = limit_down + BOOK_DEPTH + JITTER_TICKS + 1
        hi = limit_up - BOOK_DEPTH - JITTER_TICKS - 1
        # ~1.5% daily volatility spread over the day's minutes.
        step = max(0.5, open_ticks * 0.015 / math.sqrt(KNOTS_PER_DAY)) * 2.45
        # Minute m of the day draws its hashes at n = day * KNOTS_PER_DAY + m. Each
        # float below is the one the scalar formula gives: numpy does the same IEEE
        # float64 operations in the same order, element by element; np.rint rounds
        # half to even like round() (and the open interest is far from rint's -0.0).
        first_n = day * KNOTS_PER_DAY
        oi_u = unit_array(mix_range(key, first_n, KNOTS_PER_DAY + 1, _S_OI))
        open_interest = np.rint(float(self.spec.open_interest) * (1 + (oi_u - 0.5) * 0.02))
        bits = mix_range(key, first_n + 1, KNOTS_PER_DAY, _S_STEP)
        u1 = (bits & np.uint64(0xFFFFFFFF)).astype(np.float64) / 4294967296.0
        u2 = (bits >> np.uint64(32)).astype(np.float64) / 4294967296.0
        path = _walk(float(open_ticks), (u1 + u2 - 1.0) * step, lo, hi)
        knots = _series(path)
        start_ns = day * DAY_NS + DAY_START_NS
        first_slot = -(-start_ns // self.period_ns)
        # The day opens at its first slot's price.
        minute, rest = divmod(first_slot * self.period_ns - start_ns, KNOT_NS)
        mid = knots[minute] + (knots[minute + 1] - knots[minute]) * (rest / KNOT_NS)
        open_price = round(mid) + self._jitter(mix(key, first_slot, _S_BOOK2))
        price = self._price
        return _Day(
            index=day,
            first_slot=first_slot,
            start_ns=start_ns,
            open_ticks=open_ticks,
            pre_close_ticks=pre_close,
            limit_up_ticks=limit_up,
            limit_down_ticks=limit_down,
            knots=knots,
            running_max=_series(np.maximum.accumulate(path)),
            running_min=_series(np.minimum.accumulate(path)),
            open_interest=_series(open_interest),
            open_price_ticks=open_price,
            prices=(price(limit_up), price(limit_down), price(open_price), price(pre_close)),
            turnover_per_lot=open_ticks * self._tick * self.spec.multiplier,
        )

    @staticmethod
    def _jitter(bits: int) -> int:
        return (bits >> 40) % (2 * JITTER_TICKS + 1) - JITTER_TICKS

    def _price(self, ticks: int) -> float:
        return ticks * self._tick_scaled / self._scale

    def _bump(self, slot: int) -> int:
        """The bounded extra lots of a slot's cumulative volume."""
        memo = self._last_bump
        if memo[0] == slot:
            return memo[1]
        bump = mix_salted(self._volume_key, slot) % (self._lots_per_slot + 1)
        self._last_bump = (slot, bump)
        return bump

    # --- one slot ---------------------------------------------------------------

    def phase_group(self, groups: int) -> int:
        """Which of ``groups`` evenly spaced instants of a slot this contract ticks at."""
        return self._key % groups

    def tick(self, slot: int, gateway_name: str = "SIM", phase_ns: int = 0) -> TickData:
        """The tick of ``slot``; its exchange time is the slot's start plus ``phase_ns``."""
        global _last_time
        slot_ns = slot * self.period_ns
        day = self._day((slot_ns - DAY_START_NS) // DAY_NS)
        minute, rest = divmod(slot_ns - day.start_ns, KNOT_NS)

        knots = day.knots
        a = knots[minute]
        mid = a + (knots[minute + 1] - a) * (rest / KNOT_NS)
        book = mix_salted(self._book_key, slot)
        book2 = mix_salted(self._book2_key, slot)
        last = round(mid) + (book2 >> 40) % (2 * JITTER_TICKS + 1) - JITTER_TICKS
        # Extremes bound every price printed so far (see the module docstring). The
        # conditionals are max()/min() without the call, ties going the same way.
        open_ticks = day.open_price_ticks
        top = day.running_max[minute]
        high = math.ceil(mid if mid > top else top) + JITTER_TICKS
        if open_ticks > high:
            high = open_ticks
        bottom = day.running_min[minute]
        low = math.floor(mid if mid < bottom else bottom) - JITTER_TICKS
        if open_ticks < low:
            low = open_ticks

        # Cumulative volume: lots_per_slot * i plus a bounded bump, so it never falls.
        lots = self._lots_per_slot
        i = slot - day.first_slot
        previous = 0
        if i > 0:
            memo = self._last_bump  # slot - 1's, when the slots come in order
            previous = memo[1] if memo[0] == slot - 1 else self._bump(slot - 1)
        bump = self._bump(slot)
        volume = lots * i + bump
        last_volume = lots + bump - previous if i > 0 else volume

        micros = (slot_ns + phase_ns) // 1_000
        last_time = _last_time
        if last_time[0] == micros:
            when = last_time[1]
        else:
            when = EPOCH + timedelta(microseconds=micros)
            _last_time = (micros, when)

        bid1 = last - (book & 1)
        ask1 = bid1 + 1
        ts = self._tick_scaled
        sc = self._scale
        sizes = self._level_sizes
        # Bits 1..30 of each hash hold the five 6-bit level sizes; shifting them out
        # of a one-digit int is cheaper than of the 64-bit hash, and gives the same bits.
        bids = (book >> 1) & 0x3FFFFFFF
        asks = (book2 >> 1) & 0x3FFFFFFF
        limit_up, limit_down, open_price, pre_close = day.prices

        return TickData(
            gateway_name=gateway_name,
            symbol=self.symbol,
            exchange=self.exchange,
            datetime=when,
            name=self.symbol,
            volume=float(volume),
            turnover=volume * day.turnover_per_lot,
            open_interest=day.open_interest[minute],
            last_price=last * ts / sc,
            last_volume=float(last_volume),
            limit_up=limit_up,
            limit_down=limit_down,
            open_price=open_price,
            high_price=high * ts / sc,
            low_price=low * ts / sc,
            pre_close=pre_close,
            bid_price_1=bid1 * ts / sc,
            bid_price_2=(bid1 - 1) * ts / sc,
            bid_price_3=(bid1 - 2) * ts / sc,
            bid_price_4=(bid1 - 3) * ts / sc,
            bid_price_5=(bid1 - 4) * ts / sc,
            ask_price_1=ask1 * ts / sc,
            ask_price_2=(ask1 + 1) * ts / sc,
            ask_price_3=(ask1 + 2) * ts / sc,
            ask_price_4=(ask1 + 3) * ts / sc,
            ask_price_5=(ask1 + 4) * ts / sc,
            bid_volume_1=sizes[bids & 63],
            bid_volume_2=sizes[(bids >> 6) & 63],
            bid_volume_3=sizes[(bids >> 12) & 63],
            bid_volume_4=sizes[(bids >> 18) & 63],
            bid_volume_5=sizes[(bids >> 24) & 63],
            ask_volume_1=sizes[asks & 63],
            ask_volume_2=sizes[(asks >> 6) & 63],
            ask_volume_3=sizes[(asks >> 12) & 63],
            ask_volume_4=sizes[(asks >> 18) & 63],
            ask_volume_5=sizes[(asks >> 24) & 63],
        )

    def trading_day_first_slot(self, slot: int) -> int:
        """First slot of the sim trading day ``slot`` belongs to (volume resets there)."""
        return self._day((slot * self.period_ns - DAY_START_NS) // DAY_NS).first_slot


def tick_at(
    vt_symbol: str,
    slot: int,
    seed: int = 0,
    ticks_per_second: float = 2.0,
    gateway_name: str = "SIM",
) -> TickData:
    """The pure function itself: one contract's tick for one slot."""
    return SimFeed(vt_symbol, seed, ticks_per_second).tick(slot, gateway_name)
