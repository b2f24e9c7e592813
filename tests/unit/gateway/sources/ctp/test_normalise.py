"""normalise.py on its own: the CTP data fixes as pure functions."""

from __future__ import annotations

import itertools
import sys
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.ctp.normalise import (
    DBL_MAX,
    SecondStamper,
    is_replay,
    nearest_datetime,
    parse_update_time,
    price,
    resolve_datetime,
)

# Asia/Shanghai had summer time until 1991; CTP did not exist then.
clocks = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(CHINA_TZ)
)
times_of_day = st.times().map(lambda t: t.replace(microsecond=0))
milliseconds = st.integers(min_value=0, max_value=999)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


# --- prices ------------------------------------------------------------------------


def test_dbl_max_is_no_price() -> None:
    assert sys.float_info.max == DBL_MAX
    assert price(DBL_MAX) is None


@given(st.floats(allow_nan=False).filter(lambda v: v != DBL_MAX))
def test_every_other_price_is_kept(value: float) -> None:
    assert price(value) == value


def test_zero_and_negative_prices_are_real_prices() -> None:
    assert price(0.0) == 0.0
    assert price(-12.5) == -12.5


# --- update time -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "1:02:03", "25:00:00", "10:61:00", "ab:cd:ef", "10-00-00"]
)
def test_unusable_update_time_is_none(text: str) -> None:
    assert parse_update_time(text) is None


@given(times_of_day)
def test_update_time_round_trips(clock: time) -> None:
    assert parse_update_time(clock.strftime("%H:%M:%S")) == clock


# --- choosing the date -------------------------------------------------------------


@given(times_of_day, clocks, milliseconds)
def test_nearest_datetime_is_within_12_hours_of_the_clock(
    clock: time, now: datetime, ms: int
) -> None:
    chosen = nearest_datetime(clock, now, ms)
    assert abs(chosen - now) <= timedelta(hours=12)
    assert chosen.tzinfo is not None
    local = chosen.astimezone(CHINA_TZ)
    assert (local.hour, local.minute, local.second) == (clock.hour, clock.minute, clock.second)
    assert local.microsecond == ms * 1000
    assert abs((local.date() - now.date()).days) <= 1


@given(times_of_day, clocks, milliseconds)
def test_nearest_datetime_is_the_nearest(clock: time, now: datetime, ms: int) -> None:
    chosen = nearest_datetime(clock, now, ms)
    for other in (chosen - timedelta(days=1), chosen + timedelta(days=1)):
        assert abs(chosen - now) <= abs(other - now)


def test_dce_friday_night_tick_is_friday_whatever_action_day_says() -> None:
    # 2026-11-27 is a Friday; DCE would say ActionDay 20261130 (Monday).
    now = at("2026-11-27T21:30:00.200")
    assert nearest_datetime(time(21, 30, 0), now, 0) == at("2026-11-27T21:30:00")


def test_tick_just_before_midnight_seen_just_after_is_yesterday() -> None:
    now = at("2026-11-28T00:00:01")
    assert nearest_datetime(time(23, 59, 59), now, 500) == at("2026-11-27T23:59:59.500")


def test_tick_just_after_midnight_seen_just_before_is_tomorrow() -> None:
    # The local clock is a little behind the exchange's.
    now = at("2026-11-27T23:59:59.900")
    assert nearest_datetime(time(0, 0, 0), now, 200) == at("2026-11-28T00:00:00.200")


def test_exact_tie_goes_to_the_past() -> None:
    now = at("2026-11-27T12:00:00")
    assert nearest_datetime(time(0, 0, 0), now) == at("2026-11-27T00:00:00")


def test_near_tick_resolves_to_the_nearest_and_is_near() -> None:
    now = at("2026-11-25T10:00:00.300")
    assert resolve_datetime(time(10, 0, 0), now, timedelta(seconds=60), 0) == (
        at("2026-11-25T10:00:00"),
        True,
    )


def test_far_snapshot_lands_in_the_past_not_the_future() -> None:
    # Yesterday's close replayed before the open: nearest would be 15:00 *today*.
    now = at("2026-11-25T08:55:00")
    chosen, near = resolve_datetime(time(15, 0, 0), now, timedelta(seconds=60))
    assert (chosen, near) == (at("2026-11-24T15:00:00"), False)


def test_far_past_snapshot_stays_in_the_past() -> None:
    now = at("2026-11-25T13:31:00")
    chosen, near = resolve_datetime(time(11, 30, 0), now, timedelta(seconds=60))
    assert (chosen, near) == (at("2026-11-25T11:30:00"), False)


@given(times_of_day, clocks, milliseconds, st.integers(min_value=1, max_value=3600))
def test_resolved_tick_is_never_far_in_the_future(
    clock: time, now: datetime, ms: int, tolerance_s: int
) -> None:
    tolerance = timedelta(seconds=tolerance_s)
    chosen, near = resolve_datetime(clock, now, tolerance, ms)
    assert chosen - now <= tolerance
    assert near == (abs(chosen - now) <= tolerance)
    assert now - chosen < timedelta(days=1)


def test_replay_is_a_tick_not_newer_than_the_reference() -> None:
    login = at("2026-11-25T10:00:05")
    assert is_replay(at("2026-11-25T10:00:04.500"), login)
    assert is_replay(login, login)
    assert not is_replay(at("2026-11-25T10:00:05.500"), login)


# --- CZCE: several ticks in one second ----------------------------------------------


@given(st.integers(min_value=2, max_value=1500))
def test_stamps_strictly_increase_within_the_second(n: int) -> None:
    second = at("2026-11-25T10:00:01")
    stamper = SecondStamper()
    stamps = [stamper.stamp("SR605", second) for _ in range(n)]
    assert stamps[0] == second
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert all(second <= s < second + timedelta(seconds=1) for s in stamps)


def test_cadence_is_500_ms_then_1_ms() -> None:
    second = at("2026-11-25T10:00:01")
    stamper = SecondStamper()
    stamps = [stamper.stamp("SR605", second) - second for _ in range(4)]
    assert stamps == [
        timedelta(0),
        timedelta(milliseconds=500),
        *(timedelta(milliseconds=ms) for ms in (501, 502)),
    ]


@given(st.lists(st.tuples(st.sampled_from(["SR605", "TA605", "MA605"]), st.integers(0, 5))))
def test_two_sources_seeing_the_same_ticks_stamp_them_the_same(
    ticks: list[tuple[str, int]],
) -> None:
    base = at("2026-11-25T10:00:00")
    a, b = SecondStamper(), SecondStamper()
    seconds = [
        (symbol, base + timedelta(seconds=s)) for symbol, s in sorted(ticks, key=lambda t: t[1])
    ]
    assert [a.stamp(sym, sec) for sym, sec in seconds] == [
        b.stamp(sym, sec) for sym, sec in seconds
    ]


def test_a_new_second_starts_again_and_symbols_do_not_share_a_count() -> None:
    stamper = SecondStamper()
    first, second = at("2026-11-25T10:00:01"), at("2026-11-25T10:00:02")
    assert stamper.stamp("SR605", first) == first
    assert stamper.stamp("TA605", first) == first
    assert stamper.stamp("SR605", first) == first + timedelta(milliseconds=500)
    assert stamper.stamp("SR605", second) == second


def test_forget_restarts_the_count() -> None:
    stamper = SecondStamper()
    second = at("2026-11-25T10:00:01")
    stamper.stamp("SR605", second)
    stamper.forget("SR605")
    assert stamper.stamp("SR605", second) == second
    stamper.stamp("SR605", second)
    stamper.forget()
    assert stamper.stamp("SR605", second) == second
