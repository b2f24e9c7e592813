"""Resolving the universe: which contracts its entries name on one trading day.

Done again whenever the entries, the catalog or the trading day change, so that a
product entry follows its months as they are listed and expire without anyone editing
the universe. The rules (docs/universe.md):

- An instrument is live on a trading day when it is listed by then (``listed`` unknown
  or not after it) and not yet expired (``expiry`` unknown or not before it).
- An exchange, product or pattern entry takes the live futures it names. With
  ``options``, it takes live options too: an exchange or product entry the options on
  the products of the futures it took (by the option's underlying); a pattern the
  options whose symbol it matches (so ``au2606C*.SHFE`` can name options alone).
- Spreads and other instruments are only ever taken by an exact contract entry.
- An alias entry (``rb888.SHFE``) takes every live future of its product, since its
  main contract is chosen among them from their closes (:mod:`.main_contract`), and
  names the alias.
- An exact contract entry takes the contract when the catalog lists it live. While
  no catalog is known (it is empty) the contract is taken as written, so a hub
  without a trading front or a catalog file still runs; otherwise an unlisted or
  expired contract is reported in ``not_listed``.
- Other entries that take nothing are reported in ``unmatched``: a mistyped product,
  a pattern that matches nothing, anything at all while the catalog is empty.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from tickhub_contracts.messages import Instrument

from .catalog import Catalog
from .entries import Entry, alias_of


@dataclass(frozen=True)
class Resolved:
    """The universe on one trading day.

    ``contracts``: vt_symbol -> the texts of the entries that bring it (sorted), in
    vt_symbol order. ``products``: vt_symbol -> its product key (``rb.SHFE``; an
    option's is its underlying's), what the allocation may exclude by. ``aliases``:
    alias (``rb888.SHFE``) -> product key. ``unmatched``: entries that brought nothing;
    ``not_listed``: exact contract entries the catalog does not list live (both in
    the entries' order).
    """

    trading_day: date
    contracts: dict[str, tuple[str, ...]]
    products: dict[str, str]
    aliases: dict[str, str]
    unmatched: tuple[str, ...]
    not_listed: tuple[str, ...]


def is_live(instrument: Instrument, trading_day: date) -> bool:
    """Listed by ``trading_day`` and not expired before it (unknown dates do not bar)."""
    return (instrument.listed is None or instrument.listed <= trading_day) and (
        instrument.expiry is None or instrument.expiry >= trading_day
    )


class _Live:
    """The catalog's live futures and options of one day, filtered once per exchange
    asked for (a whole-market resolve filters each list once, not once per entry)."""

    def __init__(self, catalog: Catalog, trading_day: date) -> None:
        self.catalog = catalog
        self.day = trading_day
        self._futures: dict[str, list[Instrument]] = {}
        self._options: dict[str, list[Instrument]] = {}

    def only_live(self, instruments: Iterable[Instrument]) -> list[Instrument]:
        day = self.day
        return [
            i
            for i in instruments
            if (i.listed is None or i.listed <= day) and (i.expiry is None or i.expiry >= day)
        ]

    def futures(self, exchange: str) -> list[Instrument]:
        found = self._futures.get(exchange)
        if found is None:
            found = self._futures[exchange] = self.only_live(self.catalog.futures(exchange))
        return found

    def options(self, exchange: str) -> list[Instrument]:
        found = self._options.get(exchange)
        if found is None:
            found = self._options[exchange] = self.only_live(self.catalog.options(exchange))
        return found


def _brought(entry: Entry, live: _Live) -> list[str]:
    catalog = live.catalog
    if entry.kind == "exchange":
        taken = [future.vt_symbol for future in live.futures(entry.exchange)]
        if entry.options:
            for key in sorted(set(catalog.product_keys(taken).values())):
                product, _, exchange = key.rpartition(".")
                options = catalog.options_of_product(exchange, product)
                taken += [option.vt_symbol for option in live.only_live(options)]
        return taken
    if entry.kind in ("product", "alias"):
        futures = catalog.futures_of(entry.exchange, entry.product)
        taken = [future.vt_symbol for future in live.only_live(futures)]
        if entry.kind == "product" and entry.options and taken:
            options = catalog.options_of_product(entry.exchange, entry.product)
            taken += [option.vt_symbol for option in live.only_live(options)]
        return taken
    if entry.kind == "pattern":
        # fnmatch.fnmatchcase's own translation, compiled once for the entry.
        matches = re.compile(fnmatch.translate(entry.pattern)).match
        taken = [i.vt_symbol for i in live.futures(entry.exchange) if matches(i.symbol)]
        if entry.options:
            taken += [i.vt_symbol for i in live.options(entry.exchange) if matches(i.symbol)]
        return taken
    # An exact contract.
    vt_symbol = f"{entry.symbol}.{entry.exchange}"
    if not len(catalog):
        return [vt_symbol]
    instrument = catalog.get(vt_symbol)
    return [vt_symbol] if instrument is not None and is_live(instrument, live.day) else []


def resolve(entries: Sequence[Entry], catalog: Catalog, trading_day: date) -> Resolved:
    """The contracts ``entries`` name on ``trading_day`` against ``catalog`` (rules in
    the module's docstring). Deterministic: the same entries, in any order, on the
    same catalog and day give the same contracts and products."""
    live = _Live(catalog, trading_day)
    by_text: dict[str, set[str]] = {}
    aliases: dict[str, str] = {}
    unmatched: dict[str, None] = {}
    not_listed: dict[str, None] = {}
    for entry in entries:
        taken = _brought(entry, live)
        if entry.kind == "alias":
            aliases[alias_of(entry.exchange, entry.product)] = f"{entry.product}.{entry.exchange}"
        if not taken:
            (not_listed if entry.kind == "contract" else unmatched)[entry.text] = None
        by_text.setdefault(entry.text, set()).update(taken)
    # Each contract's texts, sorted. Few combinations of texts occur, however many
    # contracts: each is made once and shared, so that a whole market's resolve does
    # not make (and the garbage collector chase) tens of thousands of tuples.
    brought: dict[str, tuple[str, ...]] = {}
    for text in sorted(by_text):
        extended: dict[tuple[str, ...], tuple[str, ...]] = {}
        for vt_symbol in by_text[text]:
            before = brought.get(vt_symbol, ())
            after = extended.get(before)
            if after is None:
                after = extended[before] = (*before, text)
            brought[vt_symbol] = after
    contracts = {vt: brought[vt] for vt in sorted(brought)}
    return Resolved(
        trading_day=trading_day,
        contracts=contracts,
        products=catalog.product_keys(contracts),
        aliases=dict(sorted(aliases.items())),
        unmatched=tuple(unmatched),
        not_listed=tuple(not_listed),
    )
