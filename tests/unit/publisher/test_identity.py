"""identity.py: which ticks are one tick, and the times of ticks that share one."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_publisher.identity import same_tick, time_apart

SECOND = datetime(2026, 11, 24, 21, 0, 1, tzinfo=CHINA_TZ)


def _tick(**fields: float) -> Tick:
    return Tick(symbol="SR605", exchange="CZCE", datetime=SECOND, **fields)  # type: ignore[arg-type]


def test_copies_are_the_same_tick_and_any_field_of_the_book_tells_ticks_apart() -> None:
    base = {"volume": 10.0, "turnover": 5.0, "open_interest": 7.0, "last_price": 5600.0}
    assert same_tick(_tick(**base), _tick(**base))
    for name in ("volume", "turnover", "open_interest", "last_price", "bid_price_1",
                 "ask_volume_1", "bid_price_5", "ask_volume_5", "bid_volume_3"):  # fmt: skip
        other = {**base, name: 1.0}
        assert not same_tick(_tick(**base), _tick(**other)), name


def test_a_whole_second_is_cut_as_ctps_cadence() -> None:
    one_ms = timedelta(milliseconds=1)
    ms = [round((time_apart(SECOND, k, True) - SECOND) / one_ms) for k in range(4)]
    assert ms == [0, 500, 501, 502]
    assert time_apart(SECOND, 499, True) - SECOND == timedelta(milliseconds=998)
    assert time_apart(SECOND, 500, True) - SECOND == timedelta(milliseconds=999)
    assert time_apart(SECOND, 10_000, True) - SECOND == timedelta(microseconds=999_999)


def test_a_time_with_milliseconds_gets_microseconds() -> None:
    at = SECOND + timedelta(milliseconds=500)
    assert time_apart(at, 0, False) == at
    assert time_apart(at, 3, False) - at == timedelta(microseconds=3)


@given(st.integers(min_value=2, max_value=1500), st.booleans())
def test_times_strictly_increase_and_stay_in_the_second(n: int, whole: bool) -> None:
    times = [time_apart(SECOND, k, whole) for k in range(min(n, 1000 if whole else 999))]
    assert all(a < b for a, b in itertools.pairwise(times))
    assert all(t.replace(microsecond=0) == SECOND for t in times)
