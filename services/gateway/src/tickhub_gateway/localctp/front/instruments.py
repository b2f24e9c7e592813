"""The instruments a local front's trading side lists, and the catalog file format.

By default the front lists the simulated market of its trading day
(:func:`tickhub_gateway.sources.sim.listings.listed`: some 23,000 futures and options,
or about 900 futures with ``--futures-only``). ``--instruments FILE`` serves a catalog
file instead, the same every day.

The catalog file has the format of docs/universe.md ("Catalog file format"), read by
:func:`tickhub_universe.catalog.read_catalog_file`: the same file a desk gives the
hub (``TICKHUB_CATALOG_FILE``) can be what a rehearsal front lists.

What the trading side sends is CTP's ``CThostFtdcInstrumentField`` for each
instrument (:func:`instrument_field`), encoded once per trading day and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from tickhub_contracts.messages import Instrument
from tickhub_gateway.sources.sim import listings
from tickhub_universe.catalog import CatalogFileError, read_catalog_file
from tickhub_universe.entries import month_of

from .. import protocol
from ..protocol import InstrumentField

# --- CTP's instrument struct ---------------------------------------------------------------

PRODUCT_CLASS: Final[dict[str, str]] = {"future": "1", "option": "2", "spread": "3", "other": "4"}
OPTIONS_TYPE: Final[dict[str, str]] = {"call": "1", "put": "2"}
MAX_MARKET_ORDER, MAX_LIMIT_ORDER = 200, 1_000
"""Order size bounds the struct carries (a hub never orders; vnpy shows them)."""
MARGIN_RATIO = 0.1


def _ctp_date(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day is not None else ""


def delivery(instrument: Instrument) -> tuple[int, int]:
    """(year, month) of the contract month, read from the symbol's digits (``rb2605``:
    2026, 5; CZCE's ``SR605``: the decade that fits the expiry), else the expiry's;
    (0, 0) for an instrument with neither expiry nor first day."""
    around = instrument.expiry or instrument.listed
    if around is None:
        return 0, 0
    month = month_of(instrument.symbol, around)
    if month is None:
        return around.year, around.month
    year, month_of_year = divmod(month, 100)
    return year, month_of_year


def instrument_field(instrument: Instrument) -> InstrumentField:
    """The ``CThostFtdcInstrumentField`` a CTP trading front sends for ``instrument``.

    An option's UnderlyingInstrID is its underlying's instrument id (``IF2606``);
    a future's is its product (``rb``), as CTP fills it. Order size bounds, margin
    ratios and the position habits are plausible constants: a hub reads none of them.
    """
    year, month = delivery(instrument)
    option = instrument.kind == "option"
    underlying = instrument.underlying.rpartition(".")[0] or instrument.underlying
    return InstrumentField(
        ExchangeID=instrument.exchange,
        InstrumentName=instrument.name or instrument.symbol,
        ProductClass=PRODUCT_CLASS[instrument.kind],
        DeliveryYear=year,
        DeliveryMonth=month,
        MaxMarketOrderVolume=MAX_MARKET_ORDER,
        MinMarketOrderVolume=1,
        MaxLimitOrderVolume=MAX_LIMIT_ORDER,
        MinLimitOrderVolume=1,
        VolumeMultiple=round(instrument.multiplier),
        PriceTick=instrument.tick_size,
        CreateDate=_ctp_date(instrument.listed),
        OpenDate=_ctp_date(instrument.listed),
        ExpireDate=_ctp_date(instrument.expiry),
        StartDelivDate="" if option else _ctp_date(instrument.expiry),
        EndDelivDate="" if option else _ctp_date(instrument.expiry),
        InstLifePhase="1",  # started
        IsTrading=1,
        PositionType="2",  # gross
        PositionDateType="1" if instrument.exchange in ("SHFE", "INE") else "2",
        LongMarginRatio=MARGIN_RATIO,
        ShortMarginRatio=MARGIN_RATIO,
        MaxMarginSideAlgorithm="1",
        StrikePrice=instrument.strike if option and instrument.strike is not None else 0.0,
        OptionsType=OPTIONS_TYPE.get(instrument.option_type, ""),
        UnderlyingMultiple=1.0 if option else 0.0,
        CombinationType="0",
        InstrumentID=instrument.symbol,
        ExchangeInstID=instrument.symbol,
        ProductID=instrument.product,
        UnderlyingInstrID=underlying if option else instrument.product,
    )


# --- what a front lists ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """One instrument as the front answers it: the keys a query filters on, and the
    encoded fields of its struct (``\\tName=value...``, GB18030)."""

    instrument: Instrument
    fields: bytes


QUERY_FILTERS: Final = ("ExchangeID", "InstrumentID", "ExchangeInstID", "ProductID")
"""The members of ``CThostFtdcQryInstrumentField`` a query may filter on."""


_FIELD_NAMES: Final = InstrumentField.__struct_fields__


def encoded_fields(record: InstrumentField) -> bytes:
    """``\tName=value`` for each member that is not zero or empty, in GB18030: what
    :func:`protocol.encode` writes for them, without its per-field checks (numbers
    cannot break a line; the text is checked here). ProtocolError for text with a
    TAB or a line break (a catalog file's name, say)."""
    parts: list[str] = []
    for name in _FIELD_NAMES:
        value = getattr(record, name)
        if not value:
            continue
        if isinstance(value, str):
            if "\t" in value or "\n" in value or "\r" in value:
                raise protocol.ProtocolError(f"value of {name} {value!r} cannot be sent")
            parts.append(f"\t{name}={value}")
        elif isinstance(value, float):
            parts.append(f"\t{name}={value!r}")
        else:
            parts.append(f"\t{name}={value}")
    return "".join(parts).encode(protocol.ENCODING)


def _encoded(instrument: Instrument) -> Listed:
    return Listed(instrument, encoded_fields(instrument_field(instrument)))


def matches(listed_: Listed, filters: dict[str, str]) -> bool:
    """Whether an instrument passes a query's non-empty filters."""
    instrument = listed_.instrument
    for key, wanted in filters.items():
        if not wanted:
            continue
        have = {
            "ExchangeID": instrument.exchange,
            "InstrumentID": instrument.symbol,
            "ExchangeInstID": instrument.symbol,
            "ProductID": instrument.product,
        }.get(key)
        if have is not None and have != wanted:
            return False
    return True


class InstrumentList:
    """What the front lists on a trading day, each instrument encoded once and kept
    for that day (the last two days are kept: a day moved back and forth is free).
    ValueError (naming the file) for a catalog file that cannot be read or is bad."""

    def __init__(
        self,
        *,
        options: bool = True,
        file: Path | None = None,
        listing: Callable[[date, bool], list[Instrument]] | None = None,
    ) -> None:
        self.options = options
        self.file = file
        self._days: dict[date, tuple[Listed, ...]] = {}
        self._index: dict[date, dict[str, str]] = {}
        self._fixed: list[Instrument] | None = None
        if file is not None:
            try:
                self._fixed = read_catalog_file(file)
            except OSError as error:
                raise ValueError(f"{file}: cannot read it: {error.strerror or error}") from None
            except CatalogFileError as error:
                raise ValueError(str(error)) from None
            try:
                self.listed(date.min)  # encoded now: a value that cannot be sent is told now
            except protocol.ProtocolError as error:
                raise ValueError(f"{file}: {error}") from None
        self._listing = listing or (lambda day, options: listings.listed(day, options=options))

    def describe(self) -> str:
        if self.file is not None:
            return f"{len(self._fixed or [])} instruments of {self.file}"
        what = "futures and options" if self.options else "futures"
        return f"the sim market's {what} of the trading day"

    def instruments(self, day: date) -> list[Instrument]:
        if self._fixed is not None:
            return list(self._fixed)
        return self._listing(day, self.options)

    def count(self, day: date) -> int:
        """How many instruments the day lists (without encoding them)."""
        key = date.min if self._fixed is not None else day
        cached = self._days.get(key)
        return len(cached) if cached is not None else len(self.instruments(day))

    def listed(self, day: date) -> tuple[Listed, ...]:
        key = date.min if self._fixed is not None else day
        cached = self._days.get(key)
        if cached is None:
            cached = tuple(_encoded(i) for i in self.instruments(day))
            while len(self._days) >= 2:
                self._days.pop(next(iter(self._days)))
            self._days[key] = cached
        return cached

    def exchange_of(self, day: date) -> dict[str, str]:
        """Instrument id -> exchange, of the day's list (what the sim feed may tick)."""
        key = date.min if self._fixed is not None else day
        index = self._index.get(key)
        if index is None:
            index = {i.symbol: i.exchange for i in self.instruments(day)}
            self._index.clear()
            self._index[key] = index
        return index
