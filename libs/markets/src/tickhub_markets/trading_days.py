"""Which trading day a moment belongs to, and the calendar day of a CTP record known by
its trading day and clock. Pure: no clock, no I/O.

CTP switches to the next trading day at 17:00, between the day session's close and the
night session's open: a night session belongs to the next trading day, and a Friday
night (with its small hours on Saturday) to Monday. Weekdays are enough here: the
exchanges hold no night session before a non-trading day, so a moment that has a
session never lies between a holiday and the trading day it belongs to.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tickhub_contracts.timezone import CHINA_TZ

from .calendar import next_weekday

NIGHT_STARTS = time(17, 0)
"""From here on the session belongs to the next trading day."""

NIGHT_ENDS = time(3, 0)
"""Every night session has ended by now (the latest closes at 02:30)."""

_DAY = timedelta(days=1)


def _weekday_from(day: date) -> date:
    """``day`` itself on Monday to Friday, else the Monday after."""
    return day if day.weekday() < 5 else next_weekday(day)


def trading_day(at: datetime) -> date:
    """The trading day of moment ``at``: the next weekday from 17:00 on, and Monday
    for anything on a Saturday or Sunday (the small hours of a night session are
    already on the date of the trading day they belong to)."""
    local = at.astimezone(CHINA_TZ)
    day = local.date()
    if local.time() >= NIGHT_STARTS:
        day += _DAY
    return _weekday_from(day)


def calendar_day_of(trading: date, clock: time) -> date:
    """The calendar day of a record known only by its trading day and clock: an
    evening record (17:00 on) is the previous weekday's evening, an after-midnight
    night record (before 03:00) the morning after that evening, anything else the
    trading day itself."""
    if clock >= NIGHT_STARTS or clock < NIGHT_ENDS:
        evening = trading - _DAY
        while evening.weekday() >= 5:
            evening -= _DAY
        return evening if clock >= NIGHT_STARTS else evening + _DAY
    return trading
