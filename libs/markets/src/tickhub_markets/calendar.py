"""The mainland exchanges' holidays: which weekdays do not trade, and until when we know.

The Chinese futures exchanges (SHFE, INE, DCE, CZCE, GFEX, CFFEX) close on the public
holidays the State Council announces each November for the next year ("关于某年部分节假日
安排的通知"); the exchanges then publish the same closures as their own notices
("关于某年元旦、春节……休市安排的通知"). They never trade on a weekend, not even on the
Saturdays and Sundays China swaps in as workdays (调休) around a long holiday. So the
exchange holidays are the State Council's holidays that fall on a weekday, and the
rule of :mod:`.sessions` (no night session before a non-trading day) does the rest.

Where the dates come from: the ``chinese-calendar`` package (``chinese_calendar``),
which transcribes each State Council notice. Chosen over the alternatives (docs/holidays.md):

- ``exchange_calendars`` (XSHG) and ``pandas_market_calendars`` (SSE, built on the
  former) need pandas and numpy (tens of MB), which this workspace deliberately never
  installs (the root pyproject's ``override-dependencies``); their Shanghai lists are
  hand-kept inside the package and, past their last year, silently call every weekday
  a trading day.
- ``chinese-calendar`` is pure Python with no dependencies (an 11 kB wheel), releases
  once a year after the State Council's notice, and knows exactly which years it has:
  past them it refuses to answer. That refusal is what :func:`covered_until` reports,
  so a year the library does not know yet is a loud warning (the health service's log
  and the dashboard), never a silent "open".

All of them knew 2026 and none 2027 when this was written (December 2026): the
State Council publishes year Y's holidays around November of Y-1 and the package
follows within weeks. Until it does, the operator adds the dates (or an unscheduled
closure) with ``TICKHUB_HOLIDAYS`` / ``TICKHUB_HOLIDAYS_FILE`` (:func:`read_holidays_file`)
and may vouch for them with ``TICKHUB_HOLIDAYS_KNOWN_UNTIL``.

Pure apart from the library: no clock (``today`` is passed in), and no I/O except
:func:`read_holidays_file`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Literal

import chinese_calendar

LIBRARY = "chinese-calendar"
"""The distribution the holidays come from (``uv lock --upgrade-package`` it)."""

ENDING_DAYS = 30
"""The calendar ending within this many days of today is worth a warning already."""

Coverage = Literal["ok", "ending", "beyond"]
"""``ok``: today and the next trading day are known, and for more than
:data:`ENDING_DAYS`; ``ending``: known, but not for long; ``beyond``: today, or the
trading day tonight's night session would belong to, is past what is known."""

_DAY = dt.timedelta(days=1)


def library_version() -> str:
    try:
        return metadata.version(LIBRARY)
    except metadata.PackageNotFoundError:  # pragma: no cover - a vendored copy
        return "unknown"


@lru_cache(maxsize=1)
def _public_holidays() -> frozenset[dt.date]:
    """The State Council's rest days, weekends included (the library's table)."""
    return frozenset(chinese_calendar.holidays)


def covered_from() -> dt.date:
    """The first day the library knows (1 January of its first year)."""
    return dt.date(min(_public_holidays()).year, 1, 1)


def covered_until() -> dt.date:
    """The last day the library knows: 31 December of the last year it has a notice for."""
    return dt.date(max(_public_holidays()).year, 12, 31)


@lru_cache(maxsize=1)
def exchange_holidays() -> frozenset[dt.date]:
    """Every weekday the exchanges are closed for a holiday, over the years the library
    knows. Weekends are not listed: no weekend is ever a trading day."""
    return frozenset(day for day in _public_holidays() if day.weekday() < 5)


def next_weekday(day: dt.date) -> dt.date:
    """The first Monday-to-Friday day after ``day``."""
    day += _DAY
    while day.weekday() >= 5:
        day += _DAY
    return day


def read_holidays_file(path: Path) -> frozenset[dt.date]:
    """The dates of an override file: one ``YYYY-MM-DD`` per line; blank lines and
    ``#`` comments are ignored. Raises OSError when it cannot be read and ValueError
    (naming the file and line) on a line that is not a date."""
    days: set[dt.date] = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            days.add(dt.date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{path}:{number}: {text!r} is not a YYYY-MM-DD date") from None
    return frozenset(days)


@dataclass(frozen=True)
class ExchangeCalendar:
    """The holidays the hub judges by, and until when they are known."""

    holidays: frozenset[dt.date]
    """The library's exchange holidays plus the configured ones."""
    covered_until: dt.date
    """The last day whose closures are known: the library's end, or later when the
    operator vouches for configured dates beyond it."""
    library_until: dt.date
    """The library's own end, for the words of a warning."""

    @classmethod
    def build(
        cls, extra: Iterable[dt.date] = (), known_until: dt.date | None = None
    ) -> ExchangeCalendar:
        """The library's holidays plus ``extra`` (``TICKHUB_HOLIDAYS`` and the file);
        ``known_until`` (``TICKHUB_HOLIDAYS_KNOWN_UNTIL``) moves the end of what is
        known past the library's own, never before it."""
        library_until = covered_until()
        until = library_until if known_until is None else max(library_until, known_until)
        return cls(exchange_holidays() | frozenset(extra), until, library_until)

    def at_stake(self, today: dt.date) -> dt.date:
        """The last day a judgement made today depends on: the trading day tonight's
        night session would belong to (the next weekday). Whether it is a holiday
        decides whether there is a night session tonight."""
        return next_weekday(today)

    def coverage(self, today: dt.date) -> Coverage:
        stake = self.at_stake(today)
        if stake > self.covered_until:
            return "beyond"
        if (self.covered_until - today).days < ENDING_DAYS:
            return "ending"
        return "ok"

    def warning(self, today: dt.date) -> str:
        """What an operator must know about the calendar today, in words; empty when
        it is ``ok``."""
        coverage = self.coverage(today)
        if coverage == "ok":
            return ""
        until = self.covered_until
        source = f"{LIBRARY} {library_version()}"
        if until > self.library_until:
            source += f" and TICKHUB_HOLIDAYS_KNOWN_UNTIL={until.isoformat()}"
        if coverage == "beyond":
            stake = self.at_stake(today)
            when = (
                f"today {today.isoformat()} is beyond it"
                if today > until
                else f"tonight's night session belongs to {stake.isoformat()}, beyond it"
            )
            return (
                f"exchange holidays unknown: the calendar ({source}) ends "
                f"{until.isoformat()} and {when}: a holiday will look like a trading day "
                f"(sources judged UNHEALTHY and restarted). Upgrade {LIBRARY}, or add the "
                "year's closures to TICKHUB_HOLIDAYS_FILE and set "
                "TICKHUB_HOLIDAYS_KNOWN_UNTIL (docs/holidays.md)"
            )
        days = (until - today).days
        return (
            f"exchange calendar ({source}) ends {until.isoformat()}, in {days} day"
            f"{'' if days == 1 else 's'} (today {today.isoformat()}): upgrade {LIBRARY} "
            "once it has the next year, or add the year's closures to "
            "TICKHUB_HOLIDAYS_FILE and set TICKHUB_HOLIDAYS_KNOWN_UNTIL (docs/holidays.md)"
        )
