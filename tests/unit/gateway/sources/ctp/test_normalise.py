"""normalise.py on its own: the CTP data fixes as pure functions."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.ctp.normalise import (
    DBL_MAX,
    SessionWindow,
    book_price,
    is_replay,
    nearest_datetime,
    parse_ctp_date,
    parse_update_time,
    price,
    record_date,
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


# --- empty book levels --------------------------------------------------------------


def test_an_empty_book_level_is_no_price() -> None:
    assert book_price(0.0, 0) is None  # CTP's empty level: 0 at volume 0
    assert book_price(DBL_MAX, 0) is None
    assert book_price(DBL_MAX, 5) is None
    assert book_price(0.0, 3) == 0.0  # a real level at price 0 (spreads, options)
    assert book_price(-1.5, 2) == -1.5
    assert book_price(3500.0, 0) == 3500.0


# --- the date of a record far from the clock ------------------------------------------


def test_record_date_is_action_day_where_the_exchange_writes_the_calendar_day() -> None:
    assert record_date("SHFE", "20261127", "20261130", time(22, 0)) == date(2026, 11, 27)
    assert record_date("CZCE", "20261128", "20261130", time(0, 30)) == date(2026, 11, 28)
    assert record_date("DCE", "20261124", "20261124", time(10, 0)) == date(2026, 11, 24)


def test_dce_night_record_date_is_the_evening_before_its_trading_day() -> None:
    # Friday night's records say Monday in ActionDay (DCE's habit).
    assert record_date("DCE", "20261130", "20261130", time(21, 30)) == date(2026, 11, 27)
    assert record_date("DCE", "20261130", "20261130", time(0, 30)) == date(2026, 11, 28)
    assert record_date("DCE", "20261125", "20261125", time(22, 59)) == date(2026, 11, 24)


def test_record_date_falls_back_to_the_trading_day_then_to_nothing() -> None:
    assert record_date("SHFE", "", "20261125", time(21, 0)) == date(2026, 11, 24)
    assert record_date("SHFE", "", "20261125", time(9, 0)) == date(2026, 11, 25)
    assert record_date("SHFE", "2026112", "", time(9, 0)) is None
    assert record_date("DCE", "", "", time(21, 0)) is None
    assert parse_ctp_date("20260230") is None


# --- sessions ---------------------------------------------------------------------------


def _at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("vt_symbol", "at", "covered"),
    [
        ("rb2605.SHFE", _at(24, 9, 30), True),
        ("rb2605.SHFE", _at(24, 8, 59), True),  # the opening auction's tick
        ("rb2605.SHFE", _at(24, 15, 0, 30), True),  # the closing tick, a moment late
        ("rb2605.SHFE", _at(24, 15, 20), False),  # a settlement re-send
        ("rb2605.SHFE", _at(24, 20, 59), True),
        ("rb2605.SHFE", _at(24, 23, 30), False),  # rebar's night ends at 23:00
        ("au2602.SHFE", _at(25, 2, 0), True),  # gold's runs to 02:30
        ("rb2605.SHFE", _at(28, 10, 0), False),  # a Saturday
        ("IF2612.CFFEX", _at(24, 9, 29), True),
        ("IF2612.CFFEX", _at(24, 21, 30), False),  # no night session
    ],
)
def test_the_session_window_covers_auction_and_close_and_nothing_else(
    vt_symbol: str, at: datetime, covered: bool
) -> None:
    symbol, exchange = vt_symbol.split(".")
    assert SessionWindow().covers(symbol, exchange, at) is covered


def test_the_session_window_knows_the_holidays_it_is_given() -> None:
    monday = date(2026, 11, 23)
    assert SessionWindow().covers("rb2605", "SHFE", _at(23, 10, 0))
    assert not SessionWindow(frozenset({monday})).covers("rb2605", "SHFE", _at(23, 10, 0))


def test_the_session_window_keeps_the_current_window_and_leaves_it() -> None:
    window = SessionWindow()
    assert window.covers("rb2605", "SHFE", _at(24, 9, 30))
    assert window.covers("rb2605", "SHFE", _at(24, 9, 31))  # from the kept window
    assert not window.covers("rb2605", "SHFE", _at(24, 10, 20))  # the 10:15 break
    assert window.covers("rb2605", "SHFE", _at(24, 10, 30))
