"""The health service on a day its exchange calendar does not know: an ERROR in its
log naming the day and the calendar's end, and the same words on every verdict
(``calendar_warning``, which the dashboard shows as a banner), never a silent "open".

The day is chosen with ``market_clock_offset_s`` (``TICKHUB_MARKET_CLOCK_OFFSET_S``):
the first Monday after the calendar's end, whatever release of chinese-calendar is
installed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tests.integration.gateway.conftest import sim
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets import calendar

from .conftest import VERDICT_TIMEOUT, Rig

pytestmark = pytest.mark.integration


def first_monday_after(day: dt.date) -> dt.datetime:
    day += dt.timedelta(days=1)
    while day.weekday() != 0:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=CHINA_TZ)


async def test_a_day_beyond_the_calendar_is_an_error_and_on_every_verdict(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    end = calendar.covered_until()
    unknown = first_monday_after(end)
    offset = (unknown - dt.datetime.now(dt.UTC)).total_seconds()
    rig.settings = rig.settings.model_copy(update={"market_clock_offset_s": offset})
    caplog.set_level(logging.INFO, logger="tickhub.health")
    await rig.start_health()
    await rig.manager.apply([sim("sim-a")])
    verdict = await rig.verdict("sim-a", lambda v: v.calendar_warning != "", VERDICT_TIMEOUT)
    warning = verdict.calendar_warning
    assert f"today {unknown.date().isoformat()} is beyond it" in warning, warning
    assert f"ends {end.isoformat()}" in warning and "TICKHUB_HOLIDAYS_FILE" in warning
    errors = [
        r for r in caplog.records if r.name == "tickhub.health" and r.levelno >= logging.ERROR
    ]
    assert [r.getMessage() for r in errors] == [warning]  # once, not every check
