"""CTP's dates and times of a record, with the exchanges' own habits.

A record carries three views of its moment: ``TradingDay`` (the session it belongs
to: one that starts in the evening belongs to the next weekday), ``ActionDay`` (the
calendar day, except that DCE writes the trading day there during its night
session) and ``UpdateTime`` + ``UpdateMillisec`` (exchange-local clock; CZCE sends
no milliseconds). The front reproduces those habits so that what the hub fixes
(:mod:`tickhub_gateway.sources.ctp.normalise`) is really exercised.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tickhub_contracts.timezone import CHINA_TZ

# The trading-day rules are the hub's own (the publisher and the ctp source use them).
from tickhub_markets.trading_days import calendar_day_of as calendar_day_of
from tickhub_markets.trading_days import trading_day as trading_day

DCE_NIGHT_FROM = time(20, 0)
DCE_NIGHT_UNTIL = time(3, 0)
"""DCE's night session as the front sees it: a record at or after 20:00 or before
03:00 carries the trading day as its ActionDay."""

CZCE = "CZCE"
DCE = "DCE"

_DAY = timedelta(days=1)


def is_dce_night(clock: time) -> bool:
    return clock >= DCE_NIGHT_FROM or clock < DCE_NIGHT_UNTIL


def action_day(exchange: str, at: datetime, trading: date) -> date:
    """The ActionDay an exchange writes for a record at ``at``: the calendar day,
    but DCE's night session writes the trading day (a Friday night says Monday)."""
    local = at.astimezone(CHINA_TZ)
    if exchange == DCE and is_dce_night(local.time()):
        return trading
    return local.date()


def update_time(at: datetime) -> str:
    """``HH:MM:SS`` of ``at`` in exchange time."""
    return at.astimezone(CHINA_TZ).strftime("%H:%M:%S")


def update_millisec(exchange: str, at: datetime) -> int:
    """Milliseconds of ``at``; always 0 for CZCE, which sends none."""
    if exchange == CZCE:
        return 0
    return at.microsecond // 1000


def ctp_date(day: date) -> str:
    """``YYYYMMDD``, CTP's date format."""
    return day.strftime("%Y%m%d")
