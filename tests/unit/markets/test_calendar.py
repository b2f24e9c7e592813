"""The exchanges' holiday calendar (tickhub_markets.calendar): the 2026 closures as the
exchanges published them, where the calendar ends, the override, and what the sessions
make of it around Spring Festival and National Day 2026.

The 2026 dates are those of the State Council's notice of 2025-11-04 and of the
exchanges' "2026年部分节假日休市安排" notices of December 2025 (SSE's, which the
futures exchanges' repeat for the same days: 1 Jan-3 Jan, 15-23 Feb, 4-6 Apr, 1-5
May, 19-21 Jun, 25-27 Sep, 1-7 Oct closed; weekends swapped as workdays stay closed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets import calendar
from tickhub_markets.calendar import ExchangeCalendar, read_holidays_file
from tickhub_markets.sessions import is_open, is_trading_day
from tickhub_runtime.settings import Settings

D = dt.date

SPRING_FESTIVAL_2026 = [D(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)]
"""Monday 16 to Monday 23 February: every weekday of the 15-23 February closure."""
NATIONAL_DAY_2026 = [D(2026, 10, d) for d in (1, 2, 5, 6, 7)]
"""Thursday 1 to Wednesday 7 October."""
EXCHANGE_CLOSURES_2026 = {
    D(2026, 1, 1), D(2026, 1, 2),  # New Year
    *SPRING_FESTIVAL_2026,
    D(2026, 4, 6),  # Qingming
    D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 5),  # Labour Day
    D(2026, 6, 19),  # Dragon Boat
    D(2026, 9, 25),  # Mid-Autumn
    *NATIONAL_DAY_2026,
}  # fmt: skip
SWAPPED_WORKDAYS_2026 = [
    D(2026, 1, 4),  # Sunday
    D(2026, 2, 14),  # Saturday
    D(2026, 2, 28),  # Saturday
    D(2026, 5, 9),  # Saturday
    D(2026, 9, 20),  # Sunday
    D(2026, 10, 10),  # Saturday
]
"""Weekend days China works to make up for a long holiday: offices open, exchanges not."""

HOLIDAYS = calendar.exchange_holidays()


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


# --- the dates -----------------------------------------------------------------------


def test_the_2026_closures_are_exactly_the_exchanges_notice() -> None:
    assert {day for day in HOLIDAYS if day.year == 2026} == EXCHANGE_CLOSURES_2026


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026)
def test_spring_festival_and_national_day_2026_are_no_trading_days(day: dt.date) -> None:
    assert day in HOLIDAYS
    assert not is_trading_day(day, HOLIDAYS)


def test_the_days_around_them_trade() -> None:
    for day in (D(2026, 2, 13), D(2026, 2, 24), D(2026, 9, 30), D(2026, 10, 8)):
        assert is_trading_day(day, HOLIDAYS), day


@pytest.mark.parametrize("day", SWAPPED_WORKDAYS_2026)
def test_a_weekend_swapped_as_a_workday_never_trades(day: dt.date) -> None:
    assert chinese_calendar.is_workday(day)  # the State Council's word: people work
    assert day.weekday() >= 5
    assert not is_trading_day(day, HOLIDAYS)  # the exchanges': closed all the same


def test_only_weekdays_are_listed_and_every_weekend_is_closed() -> None:
    assert all(day.weekday() < 5 for day in HOLIDAYS)
    for offset in range(365):
        day = D(2026, 1, 1) + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            assert not is_trading_day(day, HOLIDAYS), day


# --- where it ends -------------------------------------------------------------------------


def test_it_covers_whole_years_up_to_the_librarys_last_one() -> None:
    last = max(chinese_calendar.holidays).year
    assert calendar.covered_until() == D(last, 12, 31)
    assert calendar.covered_until() >= D(2026, 12, 31)  # 2026 works with no configuration
    assert calendar.covered_from() == D(2004, 1, 1)
    with pytest.raises(NotImplementedError):  # the library refuses past its end ...
        chinese_calendar.is_holiday(calendar.covered_until() + dt.timedelta(days=1))
    # ... which is what covered_until reports, rather than a silent "open"


@pytest.mark.skipif(
    calendar.library_version() != "1.11.0", reason="the pinned release's own coverage"
)
def test_chinese_calendar_1_11_knows_2026_and_not_2027() -> None:
    assert calendar.covered_until() == D(2026, 12, 31)
    assert not [day for day in HOLIDAYS if day.year == 2027]


CAL = ExchangeCalendar(
    frozenset(day for day in HOLIDAYS if day.year <= 2026), D(2026, 12, 31), D(2026, 12, 31)
)
"""The calendar as chinese-calendar 1.11.0 has it (ending with 2026), whatever the
installed release."""


@pytest.mark.parametrize(
    ("today", "coverage"),
    [
        (D(2026, 2, 16), "ok"),
        (D(2026, 11, 30), "ok"),
        (D(2026, 12, 2), "ending"),  # 29 days left
        (D(2026, 12, 30), "ending"),  # tonight's session belongs to Thursday the 31st
        (D(2026, 12, 31), "beyond"),  # ... and tonight's to Friday 1 January 2027
        (D(2027, 1, 4), "beyond"),
    ],
)
def test_coverage_looks_at_tonights_trading_day(today: dt.date, coverage: str) -> None:
    assert CAL.coverage(today) == coverage
    assert (CAL.warning(today) == "") == (coverage == "ok")


def test_the_warnings_name_the_day_and_the_end() -> None:
    beyond = CAL.warning(D(2027, 1, 4))
    assert "2027-01-04" in beyond and "ends 2026-12-31" in beyond
    assert "chinese-calendar" in beyond and "TICKHUB_HOLIDAYS_FILE" in beyond
    tonight = CAL.warning(D(2026, 12, 31))
    assert "2027-01-01" in tonight and "ends 2026-12-31" in tonight
    ending = CAL.warning(D(2026, 12, 3))
    assert "ends 2026-12-31, in 28 days" in ending


def test_the_operator_may_vouch_for_configured_dates_past_the_librarys_end() -> None:
    end = calendar.covered_until()
    vouched = ExchangeCalendar.build([end + dt.timedelta(days=1)], end + dt.timedelta(days=365))
    assert vouched.covered_until == end + dt.timedelta(days=365)
    assert vouched.coverage(end + dt.timedelta(days=3)) == "ok"
    # never before the library's own end
    assert ExchangeCalendar.build([], D(2000, 1, 1)).covered_until == end


# --- the override --------------------------------------------------------------------------


def test_the_override_file_adds_dates(tmp_path: Path) -> None:
    days = tmp_path / "holidays.txt"
    days.write_text("# closures the library lacks\n2027-02-08  # a guess\n\n2024-02-09\n")
    assert read_holidays_file(days) == {D(2027, 2, 8), D(2024, 2, 9)}
    built = ExchangeCalendar.build(read_holidays_file(days))
    assert {D(2027, 2, 8), D(2024, 2, 9)} <= built.holidays
    assert built.holidays >= HOLIDAYS
    assert built.covered_until == calendar.covered_until()  # a date is no vouching


def test_a_bad_line_names_the_file_and_line(tmp_path: Path) -> None:
    days = tmp_path / "holidays.txt"
    days.write_text("2026-10-01\nsoon\n")
    with pytest.raises(ValueError, match=r"holidays.txt:2: 'soon' is not a YYYY-MM-DD date"):
        read_holidays_file(days)


def test_settings_give_the_calendar_with_no_configuration() -> None:
    settings = Settings(_env_file=None)
    assert settings.configured_holidays() == frozenset()
    assert settings.all_holidays() == HOLIDAYS
    assert set(SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026) <= settings.all_holidays()


def test_settings_add_the_list_and_the_file_to_the_calendar(tmp_path: Path) -> None:
    days = tmp_path / "holidays.txt"
    days.write_text("2027-02-08\n")
    settings = Settings(
        _env_file=None,
        holidays=["2027-02-09"],
        holidays_file=days,
        holidays_known_until="2027-12-31",
    )
    assert settings.configured_holidays() == {D(2027, 2, 8), D(2027, 2, 9)}
    assert settings.all_holidays() == HOLIDAYS | {D(2027, 2, 8), D(2027, 2, 9)}
    assert settings.exchange_calendar().covered_until == D(2027, 12, 31)


# --- what the sessions make of it ----------------------------------------------------------

RB, AU = "rb2605.SHFE", "au2606.SHFE"  # night sessions to 23:00 and to 02:30


@pytest.mark.parametrize(
    ("eve", "first_day_after"),
    [
        (D(2026, 2, 13), D(2026, 2, 24)),  # Friday before Spring Festival; Tuesday after
        (D(2026, 9, 30), D(2026, 10, 8)),  # Wednesday before National Day; Thursday after
    ],
)
def test_no_night_session_on_the_eve_and_none_before_the_first_day_back(
    eve: dt.date, first_day_after: dt.date
) -> None:
    # Without the calendar the eve has its night session: what the hub believed.
    assert is_open(RB, at(eve, "21:30"))
    for symbol in (RB, AU):
        assert is_open(symbol, at(eve, "14:00"), HOLIDAYS)  # the eve's day session runs
        assert not is_open(symbol, at(eve, "21:30"), HOLIDAYS)  # its night does not
    assert not is_open(AU, at(eve + dt.timedelta(days=1), "01:00"), HOLIDAYS)
    # The holiday itself: no day session.
    holiday = eve + dt.timedelta(days=1 if eve.weekday() < 4 else 3)
    assert holiday in HOLIDAYS
    assert not is_open(RB, at(holiday, "10:00"), HOLIDAYS)
    # The last holiday evening: no night session, although the next day trades.
    last_evening = first_day_after - dt.timedelta(days=1)
    assert last_evening in HOLIDAYS
    assert not is_open(RB, at(last_evening, "21:30"), HOLIDAYS)
    assert not is_open(AU, at(first_day_after, "01:00"), HOLIDAYS)
    # The first trading day after: its day session, then its night session again.
    assert is_open(RB, at(first_day_after, "09:30"), HOLIDAYS)
    assert is_open(RB, at(first_day_after, "21:30"), HOLIDAYS)


def test_a_swapped_workday_and_a_one_day_holiday_eve_are_closed() -> None:
    assert not is_open(RB, at(D(2026, 2, 28), "10:00"), HOLIDAYS)  # Saturday, a workday
    assert not is_open(RB, at(D(2026, 10, 10), "10:00"), HOLIDAYS)
    assert not is_open(RB, at(D(2026, 9, 24), "21:30"), HOLIDAYS)  # eve of Mid-Autumn
    assert is_open(RB, at(D(2026, 9, 24), "21:30"))  # (without the calendar: open)


def test_the_last_known_evening_is_the_first_in_doubt() -> None:
    # 31 December 2026's night session would belong to 1 January 2027, which the
    # calendar does not know: the sessions call it open, hence "beyond" that day.
    assert is_open(RB, at(D(2026, 12, 31), "21:30"), CAL.holidays)
    assert CAL.coverage(D(2026, 12, 31)) == "beyond"
