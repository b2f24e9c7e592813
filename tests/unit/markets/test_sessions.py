"""Trading sessions: edge tables and properties that must hold for any instant."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.sessions import (
    NIGHT_START,
    PRODUCTS,
    current_session,
    is_open,
    is_trading_day,
    known_vt_symbol_pattern,
    next_open,
    parse_table,
    products_of,
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
        # products listed (or given a night session) in 2024-2025: sessions.toml cites
        # the notices
        ("ad2605.SHFE", at(WED, "21:00"), True),  # cast aluminium alloy, to 01:00
        ("ad2605.SHFE", at(WED, "00:30", 1), True),
        ("ad2605.SHFE", at(WED, "01:00", 1), False),
        ("ad2605.SHFE", at(WED, "01:30", 1), False),
        ("ad2605.SHFE", at(WED, "09:00", 1), True),
        ("op2601.SHFE", at(WED, "22:59"), True),  # offset printing paper, to 23:00
        ("op2601.SHFE", at(WED, "23:00"), False),
        ("op2601-C-5000.SHFE", at(WED, "22:00"), True),  # its options: the underlying's
        ("bz2603.DCE", at(WED, "22:59"), True),  # pure benzene, to 23:00
        ("bz2603.DCE", at(WED, "23:00"), False),
        ("l2602F.DCE", at(WED, "22:00"), True),  # a monthly-average future: l's
        ("PL601.CZCE", at(WED, "21:00"), True),  # propylene, to 23:00
        ("PL601.CZCE", at(WED, "22:59"), True),
        ("PL601.CZCE", at(WED, "23:00"), False),
        ("PR603.CZCE", at(WED, "22:30"), True),  # bottle-grade PET resin, to 23:00
        ("PR603.CZCE", at(WED, "23:30"), False),
        # day only: closed at 21:30, open in the morning
        ("wr2605.SHFE", at(WED, "21:30"), False),
        ("wr2605.SHFE", at(WED, "09:30"), True),
        ("ec2604.INE", at(WED, "21:30"), False),
        ("ec2604.INE", at(WED, "10:20"), False),  # the commodity 10:15 break
        ("ec2604.INE", at(WED, "10:30"), True),
        ("lg2607.DCE", at(WED, "21:30"), False),
        ("lg2607.DCE", at(WED, "13:30"), True),
        ("lh2605.DCE", at(WED, "21:30"), False),
        ("fb2605.DCE", at(WED, "21:30"), False),
        ("bb2605.DCE", at(WED, "21:30"), False),
        ("PM605.CZCE", at(WED, "21:30"), False),
        ("WH605.CZCE", at(WED, "21:30"), False),
        ("UR605.CZCE", at(WED, "21:30"), False),
        ("ps2606.GFEX", at(WED, "21:30"), False),  # polysilicon
        ("ps2606.GFEX", at(WED, "14:00"), True),
        ("pt2606.GFEX", at(WED, "21:30"), False),  # platinum
        ("pd2606.GFEX", at(WED, "21:30"), False),  # palladium
        ("lc2605.GFEX", at(WED, "21:30"), False),
        ("IM2512.CFFEX", at(WED, "21:30"), False),
        ("IM2512.CFFEX", at(WED, "09:30"), True),
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


@pytest.mark.parametrize(
    ("vt_symbol", "night_end"),
    [
        ("ad2605.SHFE", dt.time(1)),
        ("op2601.SHFE", dt.time(23)),
        ("bz2603.DCE", dt.time(23)),
        ("PL601.CZCE", dt.time(23)),
        ("PR603.CZCE", dt.time(23)),
        ("wr2605.SHFE", None),
        ("ec2604.INE", None),
        ("lg2607.DCE", None),
        ("fb2605.DCE", None),
        ("bb2605.DCE", None),
        ("JR605.CZCE", None),
        ("LR605.CZCE", None),
        ("RI605.CZCE", None),
        ("RS605.CZCE", None),
        ("WH605.CZCE", None),
        ("PM605.CZCE", None),
        ("ps2606.GFEX", None),
        ("pt2606.GFEX", None),
        ("pd2606.GFEX", None),
    ],
)
def test_the_products_added_to_the_table(vt_symbol: str, night_end: dt.time | None) -> None:
    found = sessions_of(vt_symbol)
    assert found.known
    assert found.night_end == night_end
    assert found.day == sessions_of("rb2605.SHFE").day


def test_the_cffex_day_sessions() -> None:
    index = sessions_of("IF2512.CFFEX").day
    bond = sessions_of("T2603.CFFEX").day
    assert index[-1][1] == dt.time(15) and bond[-1][1] == dt.time(15, 15)
    for product in ("IF", "IH", "IC", "IM"):
        assert sessions_of(f"{product}2512.CFFEX").day == index
    for product in ("T", "TF", "TS", "TL"):
        assert sessions_of(f"{product}2603.CFFEX").day == bond


# --- the table (sessions.toml) ---------------------------------------------------


def test_every_exchange_has_products_and_every_row_cites_a_source() -> None:
    for exchange in ("SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX"):
        rows = products_of(exchange)
        assert rows, exchange
        for key, row in rows.items():
            assert key == row.product.lower() and row.exchange == exchange
            assert row.source.strip()
    assert products_of("shfe") is PRODUCTS["SHFE"]
    assert products_of("LME") == {}


def test_night_ends_are_the_exchanges_three() -> None:
    ends = {row.night_end for rows in PRODUCTS.values() for row in rows.values()}
    assert ends == {None, dt.time(23), dt.time(1), dt.time(2, 30)}
    # GFEX and CFFEX have no night session at all.
    for exchange in ("GFEX", "CFFEX"):
        assert all(row.night_end is None for row in PRODUCTS[exchange].values())


GROUP = """
[[group]]
exchange = "SHFE"
day = "commodity"
night_end = "01:00"
products = ["cu"]
source = "a notice"
"""


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "no [[group]]"),
        (GROUP.replace('"SHFE"', '"LME"'), "exchange must be"),
        (GROUP.replace('"commodity"', '"evening"'), "day must be"),
        (GROUP.replace('"01:00"', '"1am"'), "HH:MM"),
        (GROUP.replace('"01:00"', '"21:00"'), "cannot end when it starts"),
        (GROUP.replace('source = "a notice"', ""), "cites its source"),
        (GROUP.replace('["cu"]', "[]"), "non-empty"),
        (GROUP.replace('["cu"]', '["cu2"]'), "must be letters"),
        (GROUP + GROUP.replace('["cu"]', '["CU"]'), "listed twice"),
    ],
)
def test_a_malformed_table_is_refused(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        parse_table(text)


def test_a_table_parses() -> None:
    table = parse_table(GROUP + GROUP.replace('"SHFE"', '"INE"').replace('"01:00"', '"02:30"'))
    assert table["SHFE"]["cu"].night_end == dt.time(1)
    assert table["INE"]["cu"].night_end == dt.time(2, 30)
    assert table["DCE"] == {}


# --- properties --------------------------------------------------------------------

SYMBOLS = [
    "ad2605.SHFE",
    "PL601.CZCE",
    "ps2606.GFEX",
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


# Every product of the table, as a contract of it.
TABLE_SYMBOLS = sorted(
    f"{row.product}2605.{exchange}" for exchange, rows in PRODUCTS.items() for row in rows.values()
)
DAY_WINDOW = (dt.time(8, 55), dt.time(15, 15))


def _inside(clock: dt.time, start: dt.time, end: dt.time) -> bool:
    """``start <= clock <= end`` on a clock that may pass midnight (end < start)."""
    if start <= end:
        return start <= clock <= end
    return clock >= start or clock <= end


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(TABLE_SYMBOLS), instants, holiday_sets)
def test_every_product_trades_only_in_the_day_window_or_its_night_span(
    vt_symbol: str, when: dt.datetime, holidays: frozenset[dt.date]
) -> None:
    found = sessions_of(vt_symbol)
    assert found.known
    bounds = current_session(vt_symbol, when, holidays)
    if bounds is None:
        return
    start, end = (bound.timetz().replace(tzinfo=None) for bound in bounds)
    in_day = _inside(start, *DAY_WINDOW) and _inside(end, *DAY_WINDOW)
    night = found.night
    in_night = night is not None and (start, end) == night
    assert in_day or in_night, (vt_symbol, bounds)
    clock = when.astimezone(CHINA_TZ).time()
    if in_day:
        assert _inside(clock, *DAY_WINDOW)
    else:
        assert night is not None and _inside(clock, NIGHT_START, night[1])


@pytest.mark.parametrize("vt_symbol", TABLE_SYMBOLS)
def test_every_product_has_its_sessions_on_a_wednesday(vt_symbol: str) -> None:
    found = sessions_of(vt_symbol)
    for start, end in found.day:
        assert DAY_WINDOW[0] <= start < end <= DAY_WINDOW[1]
        assert is_open(vt_symbol, at(WED, start.strftime("%H:%M")))
    assert is_open(vt_symbol, at(WED, "21:30")) is (found.night_end is not None)


# --- the pattern a canary must match (tickhub_accounts.rules.Canary) ----------------

PATTERN = re.compile(known_vt_symbol_pattern(max_symbol_length=64))
EXCHANGE_NAMES = ["SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX"]
products_any_case = st.sampled_from(
    sorted({row.product for rows in PRODUCTS.values() for row in rows.values()} | {"zz", "p", "Z"})
).flatmap(lambda p: st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in p)))
symbol_tails = st.from_regex(r"[A-Za-z0-9_-]{0,64}", fullmatch=True)


@settings(max_examples=500, deadline=None)
@given(products_any_case, symbol_tails, st.sampled_from(EXCHANGE_NAMES))
def test_the_pattern_matches_exactly_the_known_products(
    letters: tuple[str, ...], tail: str, exchange: str
) -> None:
    vt_symbol = f"{''.join(letters)}{tail}.{exchange}"
    shaped = re.fullmatch(r"[A-Za-z0-9_-]{1,64}\.[A-Z]+", vt_symbol) is not None
    expected = shaped and sessions_of(vt_symbol).known
    assert (PATTERN.fullmatch(vt_symbol) is not None) == expected


@pytest.mark.parametrize(
    ("vt_symbol", "ok"),
    [
        ("rb2605.SHFE", True),
        ("RB2605.SHFE", True),
        ("m2605-C-3000.DCE", True),
        ("l2602F.DCE", True),
        ("SR605.CZCE", True),
        ("ad.SHFE", True),
        ("zz2605.SHFE", False),
        ("rb2605.DCE", False),  # rb is SHFE's
        ("pz2605.DCE", False),  # p is, pz is not
        ("2605.SHFE", False),
        ("rb2605.shfe", False),
        ("rb" + "1" * 62 + ".SHFE", True),  # 64 symbol characters
        ("rb" + "1" * 63 + ".SHFE", False),  # 65
    ],
)
def test_pattern_examples(vt_symbol: str, ok: bool) -> None:
    assert (PATTERN.fullmatch(vt_symbol) is not None) is ok
