"""The health machine with the exchanges' calendar: a source whose front is down on a
holiday eve or a holiday is MARKET_CLOSED, not UNHEALTHY (which would get it
hard-restarted over and over); and the rehearsal clock offset moves only the market's
time."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.calendar import exchange_holidays

from .rig import THRESHOLDS, Rig

HOLIDAYS = exchange_holidays()


def shanghai(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ).astimezone(dt.UTC)


def down(rig: Rig) -> None:
    """A new worker whose front does not answer: beating, never connected."""
    rig.status("starting", connection="disconnected")
    rig.evaluate()
    rig.tick(0.5)
    rig.beat(connected=False)
    rig.status("running", connection="connecting")
    rig.connection("connecting")
    for _ in range(4):  # two seconds of trying
        rig.tick(0.5)
        rig.beat(connected=False)
    rig.connection("disconnected", 4097)
    rig.beat(connected=False)
    for _ in range(20):  # 10 s more of it
        rig.tick(0.5)
        rig.beat(connected=False)


@pytest.mark.parametrize(
    "when",
    [
        shanghai(2026, 9, 30, 21, 30),  # the eve of National Day: no night session
        shanghai(2026, 10, 1, 10, 0),  # National Day
        shanghai(2026, 2, 13, 22, 0),  # the Friday before Spring Festival
        shanghai(2026, 2, 23, 21, 30),  # its last evening (the 24th trades)
    ],
)
def test_a_front_down_on_a_holiday_is_market_closed(when: dt.datetime) -> None:
    rig = Rig(when, trading_hours="exchange", holidays=HOLIDAYS)
    down(rig)
    assert (rig.state, rig.cause) == ("MARKET_CLOSED", "market_closed")
    assert rig.machine.verdict.reason.endswith("(disconnected between sessions)")
    assert {v.state for v in rig.changes} <= {"STARTING", "MARKET_CLOSED"}
    # without the calendar, the same evening was a failure: the bug this fixes
    blind = Rig(when, trading_hours="exchange")
    down(blind)
    assert (blind.state, blind.cause) == ("UNHEALTHY", "disconnected")


def test_the_first_trading_day_after_judges_the_front_again() -> None:
    rig = Rig(shanghai(2026, 10, 8, 9, 30), trading_hours="exchange", holidays=HOLIDAYS)
    down(rig)
    assert (rig.state, rig.cause) == ("UNHEALTHY", "disconnected")
    assert [v.state for v in rig.changes] == ["UNHEALTHY"]


def test_the_market_offset_moves_the_sessions_and_nothing_else() -> None:
    real = shanghai(2025, 1, 8, 16, 0)  # a Wednesday between sessions
    eve = shanghai(2026, 9, 30, 21, 30)
    shifted = dataclasses.replace(THRESHOLDS, market_offset_s=(eve - real).total_seconds())
    rig = Rig(real, trading_hours="exchange", holidays=HOLIDAYS, thresholds=shifted)
    down(rig)
    assert rig.state == "MARKET_CLOSED"
    # "opens" is told in market time: Thursday 8 October, after the holiday
    assert "opens Thu 2026-10-08 09:00" in rig.machine.verdict.reason
    # ages stay on the real clock
    report = rig.machine.report(rig.now)
    assert report.heartbeat_age_s is not None and report.heartbeat_age_s < 1.0
    # the same offset to an ordinary evening: the night session is on, the front down
    ordinary = shanghai(2026, 9, 29, 21, 30)
    shifted = dataclasses.replace(THRESHOLDS, market_offset_s=(ordinary - real).total_seconds())
    rig = Rig(real, trading_hours="exchange", holidays=HOLIDAYS, thresholds=shifted)
    down(rig)
    assert (rig.state, rig.cause) == ("UNHEALTHY", "disconnected")
