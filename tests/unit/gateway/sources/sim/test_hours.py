"""A sim with exchange trading hours ticks only in session (tickhub_gateway.sources.sim.hours)."""

import datetime as dt

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.sim.hours import SessionGate

NS = 1_000_000_000


def ns(text: str) -> int:
    at = dt.datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)
    return int(at.timestamp()) * NS + at.microsecond * 1_000


def test_day_session_with_its_break():
    gate = SessionGate()
    # 2026-11-24 is a Tuesday.
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-24T08:59:59.5"))
    assert gate.is_open("rb2605.SHFE", ns("2026-11-24T09:00:00"))
    assert gate.is_open("rb2605.SHFE", ns("2026-11-24T10:14:59.5"))
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-24T10:15:00"))  # the break
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-24T10:29:59.5"))
    assert gate.is_open("rb2605.SHFE", ns("2026-11-24T10:30:00"))
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-24T15:00:00"))


def test_night_sessions_by_product_and_the_weekend():
    gate = SessionGate()
    assert gate.is_open("rb2605.SHFE", ns("2026-11-24T22:59:59.5"))
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-24T23:00:00"))
    assert gate.is_open("au2602.SHFE", ns("2026-11-25T02:29:59.5"))
    assert not gate.is_open("au2602.SHFE", ns("2026-11-25T02:30:00"))
    assert not gate.is_open("IF2512.CFFEX", ns("2026-11-24T21:30:00"))  # no night session
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-28T10:00:00"))  # Saturday


def test_a_holiday_has_no_session():
    gate = SessionGate(frozenset({dt.date(2026, 11, 24)}))
    assert not gate.is_open("rb2605.SHFE", ns("2026-11-24T10:00:00"))
    assert SessionGate().is_open("rb2605.SHFE", ns("2026-11-24T10:00:00"))


def test_an_answer_holds_until_the_next_boundary_even_walking_back():
    gate = SessionGate()
    start = ns("2026-11-24T14:59:58")
    answers = [gate.is_open("m2605.DCE", start + i * NS // 2) for i in range(8)]
    assert answers == [True, True, True, True, False, False, False, False]
    assert gate.is_open("m2605.DCE", start)  # an earlier instant is asked again


def test_an_unknown_product_ticks_by_day_and_is_logged_once(caplog):
    from tickhub_markets.unknown import forget_warnings

    forget_warnings()
    gate = SessionGate()
    with caplog.at_level("WARNING", logger="tickhub.gateway.sim"):
        assert gate.is_open("zz2605.SHFE", ns("2026-11-24T09:30:00"))
        assert not gate.is_open("zz2605.SHFE", ns("2026-11-24T21:30:00"))  # no night
        assert not gate.is_open("zz2609.SHFE", ns("2026-11-24T21:30:00"))
        assert gate.is_open("rb2605.SHFE", ns("2026-11-24T21:30:00"))
    forget_warnings()
    warned = [r.getMessage() for r in caplog.records if r.name == "tickhub.gateway.sim"]
    assert len(warned) == 1 and "'zz'" in warned[0]
