"""The catalog: the instruments listed on the exchanges, and its file.

A catalog comes from a trading front's instrument query (CTP's ``ReqQryInstrument``,
:class:`~tickhub_contracts.messages.InstrumentBatch`) or, for a pool without a
trading front, from the operator's CSV file (:func:`read_catalog_file`). The universe
is resolved against it (:mod:`.resolve`) and the api searches it. It is built once per
refresh and read many times, so the indexes are made up front: building one for the
whole market (~40,000 instruments, most of them options) takes a few tens of ms.

The file (docs/universe.md) is UTF-8 CSV with a header naming some of
:data:`CATALOG_COLUMNS` in any order; only ``vt_symbol`` is required.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

from tickhub_contracts.messages import Instrument, InstrumentKind, OptionType

from .entries import EXCHANGES, product_of

_KIND_ORDER: dict[str, int] = {"future": 0, "option": 1, "spread": 2, "other": 3}


def _own_key(instrument: Instrument) -> str:
    return f"{instrument.product or product_of(instrument.symbol)}.{instrument.exchange}"


def _key_of_unknown(vt_symbol: str) -> str:
    symbol, _, exchange = vt_symbol.rpartition(".")
    return f"{product_of(symbol)}.{exchange}"


def _grouped(
    instruments: Iterable[Instrument], key: Callable[[Instrument], str]
) -> dict[str, tuple[Instrument, ...]]:
    groups: dict[str, list[Instrument]] = {}
    for instrument in instruments:
        groups.setdefault(key(instrument), []).append(instrument)
    return {name: tuple(group) for name, group in groups.items()}


class Catalog:
    """The listed instruments, indexed for resolving and searching.

    Built from any iterable of instruments; a vt_symbol given twice keeps the last
    (a newer answer replaces an older one). Iterates in vt_symbol order. The lists
    it returns are in vt_symbol order too, so that everything resolved from it is
    deterministic. An empty catalog means "no catalog known yet" (:mod:`.resolve`
    then takes exact contract entries as they are).
    """

    __slots__ = (
        "_by_exchange",
        "_by_vt",
        "_futures",
        "_futures_by_exchange",
        "_futures_by_product",
        "_keys",
        "_options",
        "_options_by_exchange",
        "_options_by_product",
        "_search_index",
    )

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        unsorted = {instrument.vt_symbol: instrument for instrument in instruments}
        self._by_vt = by_vt = {vt: unsorted[vt] for vt in sorted(unsorted)}
        keys: dict[str, str] = {}
        by_exchange: dict[str, list[Instrument]] = {}
        futures: list[Instrument] = []
        options: list[Instrument] = []
        for vt, instrument in by_vt.items():
            by_exchange.setdefault(instrument.exchange, []).append(instrument)
            if instrument.kind == "option":
                options.append(instrument)
            else:
                keys[vt] = _own_key(instrument)
                if instrument.kind == "future":
                    futures.append(instrument)
        for instrument in options:
            # An option belongs to its underlying's product: SHFE's au options are CTP
            # product au_o, yet a desk trading au wants them under au.SHFE.
            underlying = instrument.underlying
            if underlying:
                key = keys.get(underlying) or _key_of_unknown(underlying)
            else:  # no underlying said: the symbol's letters (au2606C500 -> au)
                key = f"{product_of(instrument.symbol)}.{instrument.exchange}"
            keys[instrument.vt_symbol] = key
        self._keys = keys
        self._by_exchange = by_exchange
        self._futures = tuple(futures)
        self._options = tuple(options)
        self._futures_by_exchange = _grouped(futures, lambda i: i.exchange)
        self._options_by_exchange = _grouped(options, lambda i: i.exchange)
        self._futures_by_product = _grouped(futures, lambda i: keys[i.vt_symbol])
        self._options_by_product = _grouped(options, lambda i: keys[i.vt_symbol])
        self._search_index: list[tuple[str, str, str, Instrument]] | None = None

    def __len__(self) -> int:
        return len(self._by_vt)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_vt.values())

    def __contains__(self, vt_symbol: object) -> bool:
        return vt_symbol in self._by_vt

    def get(self, vt_symbol: str) -> Instrument | None:
        return self._by_vt.get(vt_symbol)

    def futures_of(self, exchange: str, product: str) -> list[Instrument]:
        """The product's futures (every month listed, live or not)."""
        return list(self._futures_by_product.get(f"{product}.{exchange}", ()))

    def options_of_product(self, exchange: str, product: str) -> list[Instrument]:
        """The options on the product's futures, on the same exchange (by their
        underlying's product, not by CTP's product of the option itself)."""
        return [
            option
            for option in self._options_by_product.get(f"{product}.{exchange}", ())
            if option.exchange == exchange
        ]

    def of_exchange(self, exchange: str) -> list[Instrument]:
        """Every instrument of the exchange, of every kind."""
        return list(self._by_exchange.get(exchange, ()))

    def futures(self, exchange: str = "*") -> Sequence[Instrument]:
        """Every future, of one exchange or (``*``) of all; not copied, do not change."""
        return self._futures if exchange == "*" else self._futures_by_exchange.get(exchange, ())

    def options(self, exchange: str = "*") -> Sequence[Instrument]:
        """Every option, of one exchange or (``*``) of all; not copied, do not change."""
        return self._options if exchange == "*" else self._options_by_exchange.get(exchange, ())

    def product_key(self, vt_symbol: str) -> str:
        """The product a contract belongs to, as ``rb.SHFE``: the catalog's product for
        a future, the underlying's for an option, the symbol's leading letters for a
        vt_symbol the catalog does not list (what a hub without a catalog works by)."""
        key = self._keys.get(vt_symbol)
        return key if key is not None else _key_of_unknown(vt_symbol)

    def product_keys(self, vt_symbols: Iterable[str]) -> dict[str, str]:
        """:meth:`product_key` of many at once (a whole market's in a few ms)."""
        keys = self._keys
        return {
            vt: key if (key := keys.get(vt)) is not None else _key_of_unknown(vt)
            for vt in vt_symbols
        }

    def search(self, text: str, limit: int = 50) -> list[Instrument]:
        """Instruments whose vt_symbol or name contains ``text``, case-insensitively,
        at most ``limit``: exact matches (vt_symbol, symbol or name) first, then
        vt_symbols that begin with it, then the rest; futures before options before
        the others, then by vt_symbol. An empty ``text`` matches everything."""
        if limit <= 0:
            return []
        needle = text.strip().lower()
        if self._search_index is None:  # made at the first search, not at every build
            self._search_index = [
                (vt.lower(), instrument.symbol.lower(), instrument.name.lower(), instrument)
                for vt, instrument in self._by_vt.items()
            ]
        found: list[tuple[int, int, str, Instrument]] = []
        for vt, symbol, name, instrument in self._search_index:
            if needle in vt or needle in name:
                if needle in (vt, symbol, name):
                    rank = 0
                elif vt.startswith(needle):
                    rank = 1
                else:
                    rank = 2
                kind = _KIND_ORDER.get(instrument.kind, 3)
                found.append((rank, kind, instrument.vt_symbol, instrument))
        best = heapq.nsmallest(limit, found, key=lambda hit: hit[:3])
        return [hit[3] for hit in best]


# --- the catalog file ----------------------------------------------------------------

CATALOG_COLUMNS = (
    "vt_symbol",
    "product",
    "kind",
    "name",
    "expiry",
    "listed",
    "tick_size",
    "multiplier",
    "underlying",
    "option_type",
    "strike",
)
"""The catalog file's columns (docs/universe.md): a header names some of them, in any
order; ``vt_symbol`` is required, the others default to unknown ("", 0, none)."""

_KINDS: dict[str, InstrumentKind] = {
    "future": "future",
    "option": "option",
    "spread": "spread",
    "other": "other",
}
_OPTION_TYPES: dict[str, OptionType] = {
    "": "",
    "call": "call",
    "c": "call",
    "put": "put",
    "p": "put",
}
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_PRODUCT_ID = re.compile(r"[A-Za-z0-9_]{1,32}")
_DATE = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})")


class CatalogFileError(ValueError):
    """A catalog file the hub cannot read; the message names the file and the line, so
    the operator can mend it (a file's rows are never taken in part)."""

    def __init__(self, where: str, line: int | None, what: str) -> None:
        self.where = where
        self.line = line
        self.what = what
        at = f"{where}, line {line}" if line is not None else where
        super().__init__(f"{at}: {what}")


def read_catalog_file(path: Path) -> list[Instrument]:
    """The instruments of the operator's catalog file, in file order.

    :class:`CatalogFileError` when its content is wrong; ``OSError`` (unchanged) when it
    cannot be read at all. A byte-order mark (Excel's "CSV UTF-8") is skipped."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CatalogFileError(str(path), line, "not UTF-8 text") from None
    return parse_catalog_csv(text, where=str(path))


def parse_catalog_csv(text: str, *, where: str = "<catalog>") -> list[Instrument]:
    """The instruments of a catalog file's text, in file order (see the module's
    docstring; :data:`CATALOG_COLUMNS`).

    Cells are stripped; blank lines are skipped. Dates are ISO (``2026-05-15``) or
    CTP's (``20260515``); ``option_type`` is ``call``/``put``/``C``/``P`` or empty;
    ``underlying`` may omit its exchange (the option's is meant); ``product`` defaults
    to the symbol's leading letters. Anything else wrong (an unknown or repeated
    column, an unknown exchange, a vt_symbol given twice, a number that is none) is a
    :class:`CatalogFileError` naming ``where`` and the line.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    instruments: list[Instrument] = []
    first_line: dict[str, int] = {}
    end = 0
    try:
        for row in reader:
            line, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _header(row, where, line)
                continue
            if len(row) != len(header):
                raise CatalogFileError(
                    where, line, f"{len(row)} fields where the header has {len(header)}"
                )
            instrument = _instrument(dict(zip(header, row, strict=True)), where, line)
            if instrument.vt_symbol in first_line:
                raise CatalogFileError(
                    where,
                    line,
                    f"{instrument.vt_symbol} again (first on line "
                    f"{first_line[instrument.vt_symbol]})",
                )
            first_line[instrument.vt_symbol] = line
            instruments.append(instrument)
    except csv.Error as error:
        # Where the broken record begins (an unclosed quote runs to the end of the text).
        raise CatalogFileError(where, end + 1, f"not CSV ({error})") from None
    if header is None:
        raise CatalogFileError(where, None, "empty: it needs a header with vt_symbol")
    return instruments


def _header(row: list[str], where: str, line: int) -> list[str]:
    header = [cell.strip().lower() for cell in row]
    for column in header:
        if column not in CATALOG_COLUMNS:
            raise CatalogFileError(
                where,
                line,
                f"unknown column {column!r} (the columns are {', '.join(CATALOG_COLUMNS)})",
            )
        if header.count(column) > 1:
            raise CatalogFileError(where, line, f"column {column} twice")
    if "vt_symbol" not in header:
        raise CatalogFileError(where, line, "the header has no vt_symbol column")
    return header


def _vt_symbol(value: str, what: str, where: str, line: int) -> tuple[str, str]:
    symbol, dot, exchange = value.rpartition(".")
    if not dot or not _SYMBOL.fullmatch(symbol):
        raise CatalogFileError(
            where,
            line,
            f"{what} {value!r} is not SYMBOL.EXCHANGE (a symbol: a letter, then letters, "
            "digits, '-' or '_')",
        )
    if exchange.upper() not in EXCHANGES:
        raise CatalogFileError(
            where,
            line,
            f"{what} {value!r}: unknown exchange {exchange!r} (one of {', '.join(EXCHANGES)})",
        )
    return symbol, exchange.upper()


def _date(value: str, column: str, where: str, line: int) -> date | None:
    if not value:
        return None
    found = _DATE.fullmatch(value)
    try:
        if found is None or (value.count("-") not in (0, 2)):
            raise ValueError
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise CatalogFileError(
            where, line, f"{column} {value!r} is not a date (2026-05-15 or 20260515)"
        ) from None


def _number(value: str, column: str, where: str, line: int, *, signed: bool) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (not signed and number < 0):
        kind = "number" if signed else "number of at least 0"
        raise CatalogFileError(where, line, f"{column} {value!r} is not a {kind}")
    return number


def _instrument(row: dict[str, str], where: str, line: int) -> Instrument:
    cells = {column: value.strip() for column, value in row.items()}
    get = cells.get
    symbol, exchange = _vt_symbol(cells["vt_symbol"], "vt_symbol", where, line)
    product = get("product", "") or product_of(symbol)
    if not _PRODUCT_ID.fullmatch(product):
        raise CatalogFileError(
            where, line, f"product {product!r}: letters, digits and '_' only (CTP's ProductID)"
        )
    kind = _KINDS.get(get("kind", "").lower() or "future")
    if kind is None:
        raise CatalogFileError(where, line, f"kind {get('kind')!r} is none of {', '.join(_KINDS)}")
    option_type = _OPTION_TYPES.get(get("option_type", "").lower())
    if option_type is None:
        raise CatalogFileError(
            where, line, f"option_type {get('option_type')!r} is none of call, put, C, P"
        )
    underlying = get("underlying", "")
    if underlying:
        if "." not in underlying:  # on the option's own exchange
            underlying = f"{underlying}.{exchange}"
        under_symbol, under_exchange = _vt_symbol(underlying, "underlying", where, line)
        underlying = f"{under_symbol}.{under_exchange}"
    return Instrument(
        vt_symbol=f"{symbol}.{exchange}",
        symbol=symbol,
        exchange=exchange,
        product=product,
        kind=kind,
        name=get("name", ""),
        expiry=_date(get("expiry", ""), "expiry", where, line),
        listed=_date(get("listed", ""), "listed", where, line),
        tick_size=_number(get("tick_size", ""), "tick_size", where, line, signed=False) or 0.0,
        multiplier=_number(get("multiplier", ""), "multiplier", where, line, signed=False) or 0.0,
        underlying=underlying,
        option_type=option_type,
        strike=_number(get("strike", ""), "strike", where, line, signed=True),
    )


def _write_number(number: float) -> str:
    text = repr(float(number))
    return text.removesuffix(".0")  # 10.0 -> 10; repr is exact, so it reads back equal


def write_catalog_csv(instruments: Iterable[Instrument]) -> str:
    """A catalog file's text for ``instruments``, every column, in the order given:
    :func:`parse_catalog_csv` reads it back equal (names without surrounding blanks,
    since cells are stripped). The operator's starting point for a file of their own.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CATALOG_COLUMNS)
    for instrument in instruments:
        writer.writerow(
            (
                instrument.vt_symbol,
                instrument.product,
                instrument.kind,
                instrument.name,
                instrument.expiry.isoformat() if instrument.expiry else "",
                instrument.listed.isoformat() if instrument.listed else "",
                _write_number(instrument.tick_size) if instrument.tick_size else "",
                _write_number(instrument.multiplier) if instrument.multiplier else "",
                instrument.underlying,
                instrument.option_type,
                "" if instrument.strike is None else _write_number(instrument.strike),
            )
        )
    return out.getvalue()
