"""Trading sessions: edge tables and properties that must hold for any instant."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.sessions import (
    current_session,
    is_open,
    is_trading_day,
    next_open,
    sessions_of,
)

# 2025-01-06 is a Monday.
MON = dt.date(2025, 1, 6)


def at(day: dt.date, hhmm: str, offset_days: int = 0) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = day + dt.timedelta(days=offset_days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


WED = MON + dt.timedelta(days=2)
FRI = MON + dt.timedelta(days=4)
SAT = MON + dt.timedelta(days=5)
SUN = MON + dt.timedelta(days=6)
NEXT_MON = MON + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("vt_symbol", "when", "expected"),
    [
        # commodity day session and its breaks
        ("rb2605.SHFE", at(WED, "08:59"), False),
        ("rb2605.SHFE", at(WED, "09:00"), True),
        ("rb2605.SHFE", at(WED, "10:14"), True),
        ("rb2605.SHFE", at(WED, "10:15"), False),
        ("rb2605.SHFE", at(WED, "10:29"), False),
        ("rb2605.SHFE", at(WED, "10:30"), True),
        ("rb2605.SHFE", at(WED, "11:30"), False),
        ("rb2605.SHFE", at(WED, "12:30"), False),
        ("rb2605.SHFE", at(WED, "13:29"), False),
        ("rb2605.SHFE", at(WED, "13:30"), True),
        ("rb2605.SHFE", at(WED, "14:59"), True),
        ("rb2605.SHFE", at(WED, "15:00"), False),
        ("rb2605.SHFE", at(WED, "20:59"), False),
        # night ends: 23:00, 01:00, 02:30
        ("rb2605.SHFE", at(WED, "21:00"), True),
        ("rb2605.SHFE", at(WED, "22:59"), True),
        ("rb2605.SHFE", at(WED, "23:00"), False),
        ("cu2603.SHFE", at(WED, "23:30"), True),
        ("cu2603.SHFE", at(WED, "00:59", 1), True),
        ("cu2603.SHFE", at(WED, "01:00", 1), False),
        ("au2602.SHFE", at(WED, "02:29", 1), True),
        ("au2602.SHFE", at(WED, "02:30", 1), False),
        ("sc2603.INE", at(WED, "02:00", 1), True),
        ("bc2603.INE", at(WED, "00:30", 1), True),
        ("lu2603.INE", at(WED, "22:00"), True),
        ("m2605.DCE", at(WED, "22:00"), True),
        ("SR605.CZCE", at(WED, "22:00"), True),
        ("sr605.czce", at(WED, "22:00"), True),  # case-insensitive
        # no night session for these
        ("AP605.CZCE", at(WED, "22:00"), False),
        ("AP605.CZCE", at(WED, "09:30"), True),
        ("jd2605.DCE", at(WED, "22:00"), False),
        ("si2605.GFEX", at(WED, "22:00"), False),
        ("si2605.GFEX", at(WED, "09:00"), True),
        ("IF2512.CFFEX", at(WED, "21:30"), False),
        # CFFEX index and bond day sessions
        ("IF2512.CFFEX", at(WED, "09:15"), False),
        ("IF2512.CFFEX", at(WED, "09:30"), True),
        ("IF2512.CFFEX", at(WED, "10:20"), True),  # no 10:15 break at CFFEX
        ("IF2512.CFFEX", at(WED, "11:30"), False),
        ("IF2512.CFFEX", at(WED, "13:00"), True),
        ("IF2512.CFFEX", at(WED, "15:00"), False),
        ("T2603.CFFEX", at(WED, "15:10"), True),
        ("T2603.CFFEX", at(WED, "15:15"), False),
        ("TL2603.CFFEX", at(WED, "13:05"), True),
        # weekends: Friday night runs and continues into Saturday morning
        ("rb2605.SHFE", at(FRI, "21:30"), True),
        ("au2602.SHFE", at(SAT, "02:00"), True),
        ("au2602.SHFE", at(SAT, "02:30"), False),
        ("cu2603.SHFE", at(SAT, "00:30"), True),
        ("rb2605.SHFE", at(SAT, "10:00"), False),
        ("rb2605.SHFE", at(SAT, "21:30"), False),
        ("au2602.SHFE", at(SUN, "01:00"), False),
        ("rb2605.SHFE", at(SUN, "10:00"), False),
        ("rb2605.SHFE", at(SUN, "21:30"), False),
        ("au2602.SHFE", at(MON, "01:00"), False),  # no Sunday night
        ("rb2605.SHFE", at(MON, "08:59"), False),
        ("rb2605.SHFE", at(MON, "09:00"), True),
    ],
)
def test_table(vt_symbol: str, when: dt.datetime, expected: bool) -> None:
    assert is_open(vt_symbol, when) is expected


def test_holiday_has_no_day_session_and_its_eve_no_night() -> None:
    holidays = frozenset({WED})
    tue = WED - dt.timedelta(days=1)
    assert is_open("au2602.SHFE", at(tue, "14:00"), holidays)
    assert not is_open("au2602.SHFE", at(tue, "21:30"), holidays)  # eve of the holiday
    assert not is_open("au2602.SHFE", at(WED, "01:00"), holidays)
    assert not is_open("au2602.SHFE", at(WED, "10:00"), holidays)
    # the holiday's own evening: the next day trades, but not from a holiday evening
    assert not is_open("au2602.SHFE", at(WED, "21:30"), holidays)
    assert is_open("au2602.SHFE", at(WED, "09:00", 1), holidays)
    assert next_open("au2602.SHFE", at(tue, "15:00"), holidays) == at(WED, "09:00", 1)


def test_friday_night_is_cancelled_before_a_monday_holiday() -> None:
    holidays = frozenset({NEXT_MON})
    assert not is_open("rb2605.SHFE", at(FRI, "21:30"), holidays)
    assert not is_open("au2602.SHFE", at(SAT, "01:00"), holidays)
    assert is_open("rb2605.SHFE", at(FRI, "21:30"))
    assert next_open("rb2605.SHFE", at(FRI, "15:00"), holidays) == at(NEXT_MON, "09:00", 1)


def test_long_holiday_first_trading_day_has_no_night_before_it() -> None:
    # National day style: Wed..next Tue closed (the weekend between), Wed trades.
    holidays = frozenset(WED + dt.timedelta(days=n) for n in range(7) if n not in (3, 4))
    last_holiday = WED + dt.timedelta(days=6)  # a Tuesday
    assert not is_open("rb2605.SHFE", at(last_holiday, "21:30"), holidays)
    assert next_open("rb2605.SHFE", at(WED, "08:00"), holidays) == at(last_holiday, "09:00", 1)


def test_next_open_examples() -> None:
    assert next_open("rb2605.SHFE", at(WED, "10:20")) == at(WED, "10:30")
    assert next_open("rb2605.SHFE", at(WED, "12:00")) == at(WED, "13:30")
    assert next_open("rb2605.SHFE", at(WED, "16:00")) == at(WED, "21:00")
    assert next_open("AP605.CZCE", at(WED, "16:00")) == at(WED, "09:00", 1)
    assert next_open("au2602.SHFE", at(SAT, "03:00")) == at(NEXT_MON, "09:00")
    assert next_open("rb2605.SHFE", at(FRI, "23:30")) == at(NEXT_MON, "09:00")
    inside = at(WED, "10:00")
    assert next_open("rb2605.SHFE", inside) is inside


def test_current_session_bounds() -> None:
    assert current_session("rb2605.SHFE", at(WED, "10:40")) == (at(WED, "10:30"), at(WED, "11:30"))
    assert current_session("au2602.SHFE", at(WED, "01:00", 1)) == (
        at(WED, "21:00"),
        at(WED, "02:30", 1),
    )
    assert current_session("rb2605.SHFE", at(WED, "12:00")) is None


def test_times_in_other_zones_and_naive_times() -> None:
    utc_0130 = dt.datetime(2025, 1, 8, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    assert is_open("IF2512.CFFEX", utc_0130)
    assert is_open("IF2512.CFFEX", dt.datetime(2025, 1, 8, 9, 30))  # naive = Shanghai
    assert not is_open("IF2512.CFFEX", dt.datetime(2025, 1, 8, 1, 30))


def test_products_and_unknowns() -> None:
    rb = sessions_of("rb2605.SHFE")
    assert (rb.exchange, rb.product, rb.night_end, rb.known) == ("SHFE", "rb", dt.time(23), True)
    assert sessions_of("SR605.CZCE").product == "SR"
    assert sessions_of("m2605-C-3000.DCE").product == "m"  # an option: its underlying's
    unknown = sessions_of("zz2605.SHFE")
    assert not unknown.known and unknown.night is None
    assert unknown.day == sessions_of("rb2605.SHFE").day
    assert sessions_of("XX2605.CFFEX").day == sessions_of("IF2512.CFFEX").day
    assert sessions_of("AP605.CZCE").known
    with pytest.raises(ValueError):
        sessions_of("rb2605")


# --- properties --------------------------------------------------------------------

SYMBOLS = [
    "rb2605.SHFE",
    "au2602.SHFE",
    "cu2603.SHFE",
    "sc2603.INE",
    "m2605.DCE",
    "jd2605.DCE",
    "SR605.CZCE",
    "AP605.CZCE",
    "si2605.GFEX",
    "IF2512.CFFEX",
    "T2603.CFFEX",
    "zz2605.SHFE",
]

instants = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=CHINA_TZ)
)
holiday_sets = st.frozensets(
    st.dates(min_value=dt.date(2023, 12, 25), max_value=dt.date(2028, 1, 10)), max_size=30
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SYMBOLS), instants, holiday_sets)
def test_is_open_agrees_with_next_open(
    vt_symbol: str, when: dt.datetime, holidays: frozenset[dt.date]
) -> None:
    opens = next_open(vt_symbol, when, holidays)
    assert opens >= when
    assert (opens == when) is is_open(vt_symbol, when, holidays)
    assert is_open(vt_symbol, opens, holidays)
    if opens != when:
        # closed all the way up to the opening (probe the instant before it and a
        # few points in between)
        assert not is_open(vt_symbol, opens - dt.timedelta(microseconds=1), holidays)
        for fraction in (0.25, 0.5, 0.75):
            probe = when + (opens - when) * fraction
            assert not is_open(vt_symbol, probe, holidays)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SYMBOLS), instants, holiday_sets)
def test_never_open_at_weekend_daytime_nor_on_a_holidays_day(
    vt_symbol: str, when: dt.datetime, holidays: frozenset[dt.date]
) -> None:
    daytime = dt.time(6) <= when.time() < dt.time(20)
    if daytime and not is_trading_day(when.date(), holidays):
        assert not is_open(vt_symbol, when, holidays)
    if when.weekday() == 6:  # Sunday: nothing at all, not even after midnight
        assert not is_open(vt_symbol, when, holidays)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SYMBOLS), instants, holiday_sets)
def test_a_night_session_runs_only_before_a_trading_day(
    vt_symbol: str, when: dt.datetime, holidays: frozenset[dt.date]
) -> None:
    if not is_open(vt_symbol, when, holidays) or dt.time(6) <= when.time() < dt.time(20):
        return
    evening = when.date() if when.time() >= dt.time(20) else when.date() - dt.timedelta(days=1)
    assert is_trading_day(evening, holidays)
    following = evening + dt.timedelta(days=1)
    while following.weekday() >= 5:
        following += dt.timedelta(days=1)
    assert following not in holidays


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SYMBOLS), instants, holiday_sets)
def test_current_session_contains_the_instant(
    vt_symbol: str, when: dt.datetime, holidays: frozenset[dt.date]
) -> None:
    bounds = current_session(vt_symbol, when, holidays)
    if bounds is None:
        assert not is_open(vt_symbol, when, holidays)
        return
    start, end = bounds
    assert start <= when < end
    assert is_open(vt_symbol, start, holidays)
    assert not is_open(vt_symbol, end, holidays) or next_open(vt_symbol, end, holidays) == end
