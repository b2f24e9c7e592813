"""A recorded tick file, replayed at its own pace or faster (``--replay FILE``).

The file
--------
CSV in UTF-8. Lines starting with ``#`` are comments and blank lines are skipped;
the first other line is the header, naming members of
``CThostFtdcDepthMarketDataField`` (``InstrumentID``, ``LastPrice``, ``BidVolume1``,
...) in any order. A name that is not a member is an error, so a typo does not
silently lose a column.

* Required: ``InstrumentID``, ``UpdateTime`` (``HH:MM:SS``) and a date:
  ``ActionDay`` or ``TradingDay`` (``YYYYMMDD``), or both.
* Every other member is optional. An absent column or an empty cell is what a
  front sends for nothing: a price (``LastPrice``, ``BidPrice1``, ``ClosePrice``,
  ...) is ``DBL_MAX``, a volume or other number 0, text empty. ``UpdateMillisec``
  defaults to 0; ``ExchangeID``, when absent, comes from ``--contracts``
  (``rb2605.SHFE,...``), and without it the exchange's habits below do not apply.
* A record's moment is ``UpdateTime`` + ``UpdateMillisec`` on its calendar day:
  ``ActionDay``, except during DCE's night session (20:00 to 03:00), where
  ``ActionDay`` is read as the trading day because that is what DCE sends. A record
  with ``TradingDay`` only is placed by its clock: from 17:00 on it is the evening
  of the previous weekday, before 03:00 the night after that evening, else the
  trading day itself.
* Rows need not be sorted: they are sent in time order (file order among equal
  times). The whole file is read at start.

The replay
----------
Record ``k`` is sent at ``start + (t_k - t_0) / speed``: ``t_0`` is the first
record's moment rounded down to the second, ``start`` the next whole second of the
clock when the feed starts, so at ``--speed 1`` a record stamped ``.500`` goes out
at ``.500`` and the spacing is the recorded one. Records due at the same moment
go out together as one burst; only subscribed instruments are sent.

``--start-at WHEN`` makes ``start`` that moment instead (seconds since the epoch,
``1773104400``, or an ISO datetime, ``2026-03-10T09:00:00+08:00``; without an offset
China time): two fronts given the same file, speed and start send the same records
at the same moments, restamped alike, as two brokers' fronts do for one exchange
(start them a few seconds before it; a whole second keeps the recorded
milliseconds). If the moment has already passed when the feed starts, the replay
still runs on that schedule: the records already due go out at once, back to back,
each stamped with its scheduled moment (so the two fronts still agree on every
record), and the rest at their times. A start long past sends the whole file at
once; the front logs how late it started.

``--delay-ms D`` sends every record D ms after its moment, stamped with the moment
all the same: a front farther away. Two fronts on one start, one of them delayed,
race as two accounts do, the nearer one's copies first.

* ``--restamp`` (the default): each record's time becomes the moment it is sent
  (``UpdateTime``, ``UpdateMillisec`` (0 for CZCE), ``TradingDay``, ``ActionDay`` with
  DCE's night habit), so the hub sees a live market.
* ``--no-restamp``: the recorded times go out unchanged, as an old day would.

At the end of the file the feed stops; it does not loop (a loop would send volume
falling back to the file's first value, which no real feed does). The front goes
on serving (heartbeats, logins, subscriptions, each answered with the instrument's
last record), like a front after the close.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import time
from collections.abc import (
    AsyncGenerator,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.logs import get_logger

from ..protocol import DBL_MAX, PRICE_FIELDS, DepthMarketData
from . import days
from .feed import Burst

NS = 1_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

log = get_logger(__name__)

_TYPES: dict[str, object] = {
    info.name: info.type for info in msgspec.structs.fields(DepthMarketData)
}
_EMPTY = msgspec.structs.replace(DepthMarketData(), **dict.fromkeys(PRICE_FIELDS, DBL_MAX))
"""A record with nothing set: prices DBL_MAX, numbers 0, text empty."""


class ReplayError(ValueError):
    """The file cannot be replayed; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    at: datetime
    """The recorded moment (Asia/Shanghai)."""
    exchange: str
    """ExchangeID, or the contracts' exchange of the instrument; "" when unknown."""
    record: DepthMarketData
    """As recorded, absent members filled (dates both present)."""


# --- reading ------------------------------------------------------------------------


def _number(name: str, text: str) -> int | float:
    if _TYPES[name] is int:
        try:
            return int(text)
        except ValueError:
            value = float(text)  # a recorder that wrote volumes as 12.0
            if not value.is_integer():
                raise
            return int(value)
    return float(text)


def _date(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def _moment(fields: Mapping[str, str], exchange: str) -> datetime:
    clock = datetime.strptime(fields["UpdateTime"], "%H:%M:%S").time()
    millisecond = int(fields.get("UpdateMillisec") or 0)
    if not 0 <= millisecond <= 999:
        raise ValueError(f"UpdateMillisec {millisecond} is not 0..999")
    action = fields.get("ActionDay", "")
    trading = fields.get("TradingDay", "")
    if exchange == days.DCE and days.is_dce_night(clock):
        # DCE's night session: ActionDay is the trading day.
        day = days.calendar_day_of(_date(trading or action), clock)
    elif action:
        day = _date(action)
    else:
        day = days.calendar_day_of(_date(trading), clock)
    return datetime.combine(day, clock.replace(microsecond=millisecond * 1000), CHINA_TZ)


def _row(cells: dict[str, str], instruments: Mapping[str, str], where: str) -> ReplayRecord:
    present = {name: text.strip() for name, text in cells.items() if text.strip()}
    for name in ("InstrumentID", "UpdateTime"):
        if name not in present:
            raise ReplayError(f"{where}: {name} is empty")
    if "ActionDay" not in present and "TradingDay" not in present:
        raise ReplayError(f"{where}: ActionDay and TradingDay are both empty")
    exchange = present.get("ExchangeID") or instruments.get(present["InstrumentID"], "")
    try:
        at = _moment(present, exchange)
        values: dict[str, object] = {
            name: text if _TYPES[name] is str else _number(name, text)
            for name, text in present.items()
        }
    except ValueError as error:
        raise ReplayError(f"{where}: {error}") from None
    trading = days.trading_day(at)
    values.setdefault("TradingDay", days.ctp_date(trading))
    values.setdefault("ActionDay", days.ctp_date(days.action_day(exchange, at, trading)))
    if exchange:
        values.setdefault("ExchangeID", exchange)
    return ReplayRecord(at, exchange, msgspec.structs.replace(_EMPTY, **values))


def parse(
    lines: Iterable[str], instruments: Mapping[str, str] | None = None, name: str = "<replay>"
) -> list[ReplayRecord]:
    """The records of a tick file's lines, in time order; ReplayError for a bad one."""
    instruments = instruments or {}
    header: list[str] | None = None
    rows: list[ReplayRecord] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = next(csv.reader([line]))
        where = f"{name}:{number}"
        if header is None:
            header = [cell.strip().lstrip("\ufeff") for cell in cells]
            unknown = [column for column in header if column not in _TYPES]
            if unknown:
                raise ReplayError(
                    f"{where}: not CThostFtdcDepthMarketDataField members: {', '.join(unknown)}"
                )
            if len(set(header)) != len(header):
                raise ReplayError(f"{where}: a column is named twice")
            missing = [c for c in ("InstrumentID", "UpdateTime") if c not in header]
            if missing:
                raise ReplayError(f"{where}: the header has no {', '.join(missing)}")
            if "ActionDay" not in header and "TradingDay" not in header:
                raise ReplayError(f"{where}: the header has neither ActionDay nor TradingDay")
            continue
        if len(cells) != len(header):
            raise ReplayError(f"{where}: {len(cells)} cells under {len(header)} columns")
        rows.append(_row(dict(zip(header, cells, strict=True)), instruments, where))
    if header is None:
        raise ReplayError(f"{name}: no header line")
    if not rows:
        raise ReplayError(f"{name}: no records")
    rows.sort(key=lambda row: row.at)  # stable: file order among equal times
    return rows


def load(path: Path, instruments: Mapping[str, str] | None = None) -> list[ReplayRecord]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            return parse(file, instruments, str(path))
    except OSError as error:
        raise ReplayError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ReplayError(f"{path}: not UTF-8 ({error.reason})") from None


# --- timing -------------------------------------------------------------------------


def to_ns(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> datetime:
    return (EPOCH + timedelta(microseconds=ns // 1000)).astimezone(CHINA_TZ)


def schedule(
    rows: Iterable[ReplayRecord], start_ns: int, speed: float
) -> Iterator[tuple[int, ReplayRecord]]:
    """(send time in ns since the epoch, record) of every row, in order."""
    origin: int | None = None
    for row in rows:
        at = to_ns(row.at)
        if origin is None:
            origin = at - at % NS
        yield start_ns + round((at - origin) / speed), row


def restamped(row: ReplayRecord, at: datetime) -> DepthMarketData:
    """The record as if it happened at ``at``, with its exchange's habits."""
    trading = days.trading_day(at)
    return msgspec.structs.replace(
        row.record,
        TradingDay=days.ctp_date(trading),
        ActionDay=days.ctp_date(days.action_day(row.exchange, at, trading)),
        UpdateTime=days.update_time(at),
        UpdateMillisec=days.update_millisec(row.exchange, at),
    )


# --- the feed -----------------------------------------------------------------------


class ReplayBurst:
    def __init__(self, records: list[DepthMarketData]) -> None:
        self._records = records

    def records(self, instruments: Collection[str]) -> list[DepthMarketData]:
        return [r for r in self._records if r.InstrumentID in instruments]


class ReplayFeed:
    """A tick file's records at their (scaled) recorded pace, once."""

    def __init__(
        self,
        rows: list[ReplayRecord],
        *,
        speed: float = 1.0,
        restamp: bool = True,
        start_ns: int | None = None,
        delay_ms: float = 0.0,
        name: str = "",
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        if delay_ms < 0:
            raise ValueError(f"delay_ms must be >= 0, got {delay_ms}")
        self.rows = rows
        self.speed = speed
        self.restamp = restamp
        self.start_ns = start_ns
        """When the first second of the file is sent (ns since the epoch); None: the
        next whole second of the clock when :meth:`bursts` starts."""
        self.delay_ns = round(delay_ms * 1_000_000)
        """Each record goes out this much after its (restamped) moment."""
        self.name = name
        self.clock = clock
        self.instruments = frozenset(row.record.InstrumentID for row in rows)
        self.finished = False
        self.records_given = 0
        self._last: dict[str, DepthMarketData] = {}

    def describe(self) -> str:
        times = "restamped to now" if self.restamp else "recorded times"
        start = "" if self.start_ns is None else f", starting {from_ns(self.start_ns).isoformat()}"
        delay = f", {self.delay_ns / 1e6:g} ms late" if self.delay_ns else ""
        return (
            f"replay of {self.name or 'a tick file'} ({len(self.rows)} records, "
            f"{len(self.instruments)} instruments, speed {self.speed:g}, {times}{start}{delay})"
        )

    def knows(self, instrument: str) -> bool:
        return instrument in self.instruments

    def snapshot(self, instrument: str) -> DepthMarketData | None:
        return self._last.get(instrument)

    async def bursts(self) -> AsyncGenerator[Burst, None]:
        now = self.clock()
        if self.start_ns is None:
            start = now - now % NS + (NS if now % NS else 0)
        else:
            start = self.start_ns
            if start < now:
                log.warning(
                    "replay started %.3f s after its start %s: the records due by now go "
                    "out at once, with their scheduled times",
                    (now - start) / NS,
                    from_ns(start).isoformat(),
                )
        timed = schedule(self.rows, start, self.speed)
        for send_ns, group in itertools.groupby(timed, key=lambda item: item[0]):
            wait_s = (send_ns + self.delay_ns - self.clock()) / NS
            # Never a burst without a pause: a fast replay must not starve the loop.
            await asyncio.sleep(max(0.0, wait_s))
            at = from_ns(send_ns)
            records = [restamped(row, at) if self.restamp else row.record for _, row in group]
            for record in records:
                self._last[record.InstrumentID] = record
            self.records_given += len(records)
            yield ReplayBurst(records)
        self.finished = True
        log.info("replay finished: %d records given out; no more data", self.records_given)
