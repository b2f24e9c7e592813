"""The universe as ``GET /api/universe/resolved`` shows it: resolved, joined with who
carries each contract, and cached.

Resolving means reading the whole catalog (tens of thousands of rows) and running
:func:`tickhub_universe.resolve.resolve`: far too slow for every page a client turns.
So two layers are kept:

* the resolved universe, keyed on the entries, the catalog's state and the trading
  day, and on the feed's ``universe_epoch`` (a ``tickhub.universe.changed`` or
  ``tickhub.catalog.changed`` seen);
* its rows (each contract with its sources), keyed on that and on the allocation's
  and the accounts' stamps (row count, newest ``updated_at``) and the feed's
  ``allocation_epoch``.

Each request reads only the keys (three small queries) and pages through the rows
in memory. A key read from the database itself never lets a stale view survive a
change the bus did not announce (NATS down); the epochs make an announced change
count even within the same clock tick.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.connection import get_connection

from tickhub_accounts.models import Allocation, MarketDataAccount, UniverseEntry
from tickhub_accounts.universe_store import CatalogMeta, catalog_meta, load_catalog
from tickhub_contracts.messages import MainContract
from tickhub_runtime.logs import get_logger
from tickhub_universe.catalog import Catalog
from tickhub_universe.entries import EntryError, parse_entry
from tickhub_universe.resolve import Resolved, resolve

log = get_logger(__name__)

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Row:
    vt_symbol: str
    entries: tuple[str, ...]
    sources: tuple[str, ...]
    kind: str
    expiry: dt.date | None


@dataclass(frozen=True)
class Universe:
    """One resolved universe with its rows, ready to page through."""

    resolved: Resolved
    meta: CatalogMeta
    rows: tuple[Row, ...]
    uncovered: int
    single: int


@dataclass(frozen=True)
class _Resolving:
    resolved: Resolved
    kinds: dict[str, tuple[str, dt.date | None]]


@dataclass(frozen=True)
class Carrier:
    """An enabled account as the rows need it."""

    name: str
    priority: int
    contracts: tuple[str, ...]
    """Its explicit list, or what the allocation gave it."""
    canary: str


def rows_of(
    resolved: Resolved,
    kinds: Mapping[str, tuple[str, dt.date | None]],
    carriers: Sequence[Carrier],
) -> tuple[tuple[Row, ...], int, int]:
    """Every resolved contract with its sources (preferred first), and how many have
    none and how many one. Pure."""
    ranked = sorted(carriers, key=lambda carrier: (carrier.priority, carrier.name))
    sources: dict[str, list[str]] = {}
    for carrier in ranked:
        for vt in {*carrier.contracts, carrier.canary}:
            if vt in resolved.contracts:
                sources.setdefault(vt, []).append(carrier.name)
    rows = []
    uncovered = single = 0
    for vt, entries in resolved.contracts.items():
        found = tuple(sources.get(vt, ()))
        uncovered += not found
        single += len(found) == 1
        kind, expiry = kinds.get(vt, ("", None))
        rows.append(Row(vt, entries, found, kind, expiry))
    return tuple(rows), uncovered, single


def page(
    universe: Universe, search: str, problem: str | None, offset: int, limit: int
) -> tuple[int, list[Row]]:
    """The rows matching ``search`` (a case-insensitive part of the vt_symbol) and
    ``problem`` (uncovered: no source; single: one), their number and one page."""
    needle = search.lower()
    wanted = {"uncovered": 0, "single": 1}.get(problem or "")
    matching = [
        row
        for row in universe.rows
        if (not needle or needle in row.vt_symbol.lower())
        and (wanted is None or len(row.sources) == wanted)
    ]
    return len(matching), matching[offset : offset + limit]


def aliases_of(resolved: Resolved, mains: Mapping[str, MainContract]) -> list[dict[str, Any]]:
    """Each alias with the contract the publisher decided it names (by alias)."""
    result = []
    for alias, product in resolved.aliases.items():
        main = mains.get(alias)
        result.append(
            {
                "alias": alias,
                "product": product,
                "vt_symbol": main.vt_symbol if main is not None else None,
                "trading_day": main.trading_day if main is not None else None,
            }
        )
    return result


class ResolvedCache:
    """The newest resolved universe and its rows (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._resolved_key: tuple[Any, ...] | None = None
        self._resolving: _Resolving | None = None
        self._rows_key: tuple[Any, ...] | None = None
        self._universe: Universe | None = None
        self.resolves = 0
        """Times the universe was resolved (tests)."""

    async def get(
        self, now: dt.datetime, *, universe_epoch: int = 0, allocation_epoch: int = 0
    ) -> Universe:
        texts = tuple(await UniverseEntry.all().order_by("text").values_list("text", "options"))
        meta = await catalog_meta()
        day = meta.resolution_day(now)
        resolved_key = (texts, meta, day, universe_epoch)
        rows_key = (resolved_key, await _stamps(), allocation_epoch)
        async with self._lock:  # one resolve at a time; the others wait for its result
            if self._resolved_key != resolved_key or self._resolving is None:
                self._resolving = await self._resolve(texts, day)
                self._resolved_key = resolved_key
                self._rows_key = None
            if self._rows_key != rows_key or self._universe is None:
                resolving = self._resolving
                rows, uncovered, single = rows_of(
                    resolving.resolved, resolving.kinds, await _carriers()
                )
                self._universe = Universe(resolving.resolved, meta, rows, uncovered, single)
                self._rows_key = rows_key
            return self._universe

    async def _resolve(self, texts: Sequence[tuple[str, bool]], day: dt.date) -> _Resolving:
        entries = []
        for text, options in texts:
            try:
                entries.append(parse_entry(text, options=options))
            except EntryError as error:
                log.error("universe entry %r left out: %s", text, error)
        instruments, _ = await load_catalog()
        catalog = Catalog(instruments)
        # Off the event loop: resolving a whole market takes a moment.
        resolved = await asyncio.to_thread(resolve, entries, catalog, day)
        kinds: dict[str, tuple[str, dt.date | None]] = {
            vt: (found.kind, found.expiry)
            for vt in resolved.contracts
            if (found := catalog.get(vt)) is not None
        }
        self.resolves += 1
        return _Resolving(resolved, kinds)


_STAMPS = """
SELECT (SELECT count(*) FROM allocations) AS allocations,
       (SELECT max(updated_at) FROM allocations) AS allocated_at,
       (SELECT count(*) FROM accounts) AS accounts,
       (SELECT max(updated_at) FROM accounts) AS accounts_at
"""


async def _stamps() -> tuple[Any, ...]:
    """What changes whenever the allocation or the accounts do."""
    rows = await get_connection("default").execute_query_dict(_STAMPS)
    return tuple(rows[0].values()) if rows else ()


async def _carriers() -> list[Carrier]:
    """The enabled accounts with what each carries: its explicit list, else its
    allocation."""
    allocated = dict(await Allocation.all().values_list("account_id", "contracts"))
    carriers = []
    for account_id, name, priority, canary, contracts in await MarketDataAccount.filter(
        is_enabled=True
    ).values_list("id", "name", "priority", "canary", "contracts"):
        carried = contracts or allocated.get(account_id) or ()
        carriers.append(Carrier(name, priority, tuple(carried), canary))
    return carriers
