"""The universe, the catalog and the allocation in the database, as the gateway
manager reads and writes them.

The api writes the universe's entries (``/api/universe``); the gateway manager alone
writes the catalog (:func:`replace_catalog`) and the allocation
(:func:`store_allocation`). Every function needs an active Tortoise context
(:func:`tickhub_accounts.db.open_database`). Each write is one transaction, so a
reader sees the old catalog or the new one, never half of each; the catalog is
written in bulk (tens of thousands of instruments in a few seconds at most).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from tickhub_contracts.messages import Instrument
from tickhub_markets.trading_days import trading_day
from tickhub_runtime.logs import get_logger
from tickhub_universe.entries import Entry, EntryError, parse_entry

from .models import Allocation, CatalogInstrument, CatalogState, MarketDataAccount, UniverseEntry

log = get_logger(__name__)

CATALOG_STATE_ID = 1
"""The one row of ``catalog_state``."""

INSTRUMENT_FIELDS = (
    "vt_symbol",
    "symbol",
    "exchange",
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
"""The columns of ``instruments`` besides the id: :class:`Instrument`'s fields."""

_CHANGEABLE = tuple(name for name in INSTRUMENT_FIELDS if name != "vt_symbol")

# The widths of the columns (models.CatalogInstrument): an instrument that does not
# fit its key columns is left out (and logged) rather than failing the whole catalog;
# a long name is cut.
_KEY_WIDTHS = {"vt_symbol": 80, "symbol": 64, "exchange": 8, "product": 32, "underlying": 80}
_NAME_WIDTH = 100

_BATCH = 10_000
"""Instruments per INSERT statement."""


@dataclass(frozen=True)
class CatalogMeta:
    """Where the stored catalog came from and when (``catalog_state``)."""

    origin: str
    """A source's name, ``file``, or "" while no catalog was ever stored."""
    trading_day: date | None
    refreshed_at: datetime | None
    instruments: int

    def resolution_day(self, now: datetime) -> date:
        """The trading day the universe is resolved for at ``now``: the clock's, or the
        catalog's when its source says it is later (a front already in tomorrow's
        trading day). The gateway allocates by it and the api shows it."""
        today = trading_day(now)
        return max(today, self.trading_day) if self.trading_day is not None else today


NO_CATALOG = CatalogMeta(origin="", trading_day=None, refreshed_at=None, instruments=0)


@dataclass(frozen=True)
class CatalogDiff:
    """What :func:`replace_catalog` changed."""

    listed: list[str]
    """vt_symbols new in the catalog, sorted."""
    expired: list[str]
    """vt_symbols no longer in it, sorted."""
    changed: int
    """Instruments still listed whose details changed."""
    total: int
    """Instruments in the catalog now."""


# --- the universe -------------------------------------------------------------------


async def universe_entries() -> list[Entry]:
    """The universe's entries, parsed, in the order of their text. A stored entry
    that no longer parses (the grammar changed under it) is logged and skipped: one
    bad row never stops the rest of the universe."""
    entries = []
    rows = await UniverseEntry.all().order_by("text").values_list("text", "options")
    for text, options in rows:
        try:
            entries.append(parse_entry(text, options=options))
        except EntryError as error:
            log.error("universe entry %r left out: %s", text, error)
    return entries


# --- the catalog --------------------------------------------------------------------


def _meta(state: CatalogState | None) -> CatalogMeta:
    if state is None:
        return NO_CATALOG
    return CatalogMeta(
        origin=state.origin,
        trading_day=state.trading_day,
        refreshed_at=state.refreshed_at,
        instruments=state.instruments,
    )


async def catalog_meta() -> CatalogMeta:
    """The catalog's state alone (one row): cheap enough for every request."""
    return _meta(await CatalogState.get_or_none(id=CATALOG_STATE_ID))


async def load_catalog() -> tuple[list[Instrument], CatalogMeta]:
    """Every stored instrument, by vt_symbol, and the catalog's state."""
    async with in_transaction() as connection:
        # One snapshot for both: a catalog stored meanwhile is seen whole or not at all.
        await connection.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = (
            await CatalogInstrument.all()
            .using_db(connection)
            .order_by("vt_symbol")
            .values(*INSTRUMENT_FIELDS)
        )
        state = await CatalogState.get_or_none(id=CATALOG_STATE_ID, using_db=connection)
    return msgspec.convert(rows, list[Instrument]), _meta(state)


def _fits(instrument: Instrument) -> bool:
    too_long = [
        name for name, width in _KEY_WIDTHS.items() if len(getattr(instrument, name)) > width
    ]
    if too_long:
        log.warning(
            "instrument %.80r left out of the catalog: %s longer than the column",
            instrument.vt_symbol,
            ", ".join(too_long),
        )
    return not too_long


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The new catalog goes into a temporary table, and PostgreSQL works out the difference
# with the stored one itself: nothing of the 40,000 stored rows travels to Python.
# The rows arrive a column of values per parameter (unnest), far faster than it
# parses thousands of VALUES tuples.
_COLUMN_TYPES = {
    "expiry": "date",
    "listed": "date",
    "tick_size": "float8",
    "multiplier": "float8",
    "strike": "float8",
}
_COLUMNS = ", ".join(INSTRUMENT_FIELDS)
_INCOMING = "tickhub_incoming_instruments"
_CREATE_INCOMING = (
    f"CREATE TEMPORARY TABLE {_INCOMING} ("
    + ", ".join(
        f"{name} {_COLUMN_TYPES.get(name, 'varchar')}"
        + (" PRIMARY KEY" if name == "vt_symbol" else "")
        for name in INSTRUMENT_FIELDS
    )
    + ") ON COMMIT DROP"
)
_FILL_INCOMING = (
    f"INSERT INTO {_INCOMING} ({_COLUMNS}) SELECT * FROM unnest("
    + ", ".join(
        f"${n}::{_COLUMN_TYPES.get(name, 'varchar')}[]"
        for n, name in enumerate(INSTRUMENT_FIELDS, start=1)
    )
    + ")"
)
_DELETE_GONE = (
    f"DELETE FROM instruments AS i WHERE NOT EXISTS "
    f"(SELECT 1 FROM {_INCOMING} AS n WHERE n.vt_symbol = i.vt_symbol) RETURNING i.vt_symbol"
)
_UPDATE_CHANGED = (
    "UPDATE instruments AS i SET "
    + ", ".join(f"{name} = n.{name}" for name in _CHANGEABLE)
    + f" FROM {_INCOMING} AS n WHERE n.vt_symbol = i.vt_symbol AND ("
    + ", ".join(f"i.{name}" for name in _CHANGEABLE)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"n.{name}" for name in _CHANGEABLE)
    + ") RETURNING i.vt_symbol"
)
_INSERT_NEW = (
    f"INSERT INTO instruments ({_COLUMNS}) SELECT {_COLUMNS} FROM {_INCOMING} AS n "
    "WHERE NOT EXISTS (SELECT 1 FROM instruments AS i WHERE i.vt_symbol = n.vt_symbol) "
    "RETURNING vt_symbol"
)


async def replace_catalog(
    instruments: Sequence[Instrument],
    *,
    origin: str,
    trading_day: date | None,
    at: datetime,
) -> CatalogDiff:
    """Make the stored catalog exactly ``instruments`` (new ones inserted, gone ones
    deleted, changed ones updated) and record where it came from, in one
    transaction. The same vt_symbol twice: the last one counts."""
    wanted: dict[str, Instrument] = {}
    for instrument in instruments:
        if _fits(instrument):
            wanted[instrument.vt_symbol] = instrument
    rows = list(wanted.values())
    async with in_transaction() as connection:
        # Two writers (a second manager during a handover) take turns here.
        await connection.execute_query("LOCK TABLE instruments IN SHARE ROW EXCLUSIVE MODE")
        await connection.execute_script(_CREATE_INCOMING)
        for batch in _chunks(rows, _BATCH):
            await connection.execute_query(_FILL_INCOMING, _columns(batch))
        await connection.execute_script(f"ANALYZE {_INCOMING}")
        gone = await connection.execute_query_dict(_DELETE_GONE)
        changed = await connection.execute_query_dict(_UPDATE_CHANGED)
        new = await connection.execute_query_dict(_INSERT_NEW)
        await _store_state(connection, origin, trading_day, at, len(wanted))
    diff = CatalogDiff(
        listed=sorted(row["vt_symbol"] for row in new),
        expired=sorted(row["vt_symbol"] for row in gone),
        changed=len(changed),
        total=len(wanted),
    )
    # The caller logs it, with the contracts listed and gone: one line per new catalog.
    return diff


def _columns(batch: Sequence[Instrument]) -> list[list[Any]]:
    columns = [[getattr(row, name) for row in batch] for name in INSTRUMENT_FIELDS]
    names = INSTRUMENT_FIELDS.index("name")
    columns[names] = [name[:_NAME_WIDTH] for name in columns[names]]
    return columns


async def _store_state(
    connection: BaseDBAsyncClient,
    origin: str,
    trading_day: date | None,
    at: datetime,
    count: int,
) -> None:
    values = {
        "origin": origin[:64],
        "trading_day": trading_day,
        "refreshed_at": at if at.tzinfo is not None else at.replace(tzinfo=UTC),
        "instruments": count,
    }
    updated = await CatalogState.filter(id=CATALOG_STATE_ID).using_db(connection).update(**values)
    if not updated:
        await CatalogState.create(id=CATALOG_STATE_ID, using_db=connection, **values)


# --- the allocation -----------------------------------------------------------------


async def load_allocation() -> dict[int, list[str]]:
    """Account id -> the universe contracts it carries, as last stored."""
    rows = await Allocation.all().values_list("account_id", "contracts")
    return {account_id: list(contracts) for account_id, contracts in rows}


async def store_allocation(carried: Mapping[int, Sequence[str]]) -> None:
    """Store what each account carries, in one transaction: the rows of accounts in
    ``carried`` are created or updated (an unchanged one is left alone), those of
    every other account deleted. An account id that no longer exists (deleted
    meanwhile) is skipped."""
    async with in_transaction() as connection:
        rows = (
            await MarketDataAccount.filter(id__in=list(carried))
            .using_db(connection)
            .values_list("id")
        )
        existing: set[int] = {row[0] for row in rows}
        missing = sorted(set(carried) - existing)
        if missing:
            log.info("allocation of deleted accounts %s not stored", missing)
        stored = {
            row.account_id: row
            for row in await Allocation.all().using_db(connection).select_for_update()
        }
        await Allocation.exclude(account_id__in=sorted(existing)).using_db(connection).delete()
        now = datetime.now(UTC)
        new = []
        for account_id in sorted(existing):
            contracts = list(carried[account_id])
            row = stored.get(account_id)
            if row is None:
                new.append(Allocation(account_id=account_id, contracts=contracts, updated_at=now))
            elif list(row.contracts) != contracts:
                await (
                    Allocation.filter(id=row.id)
                    .using_db(connection)
                    .update(contracts=contracts, updated_at=now)
                )
        if new:
            await Allocation.bulk_create(new, using_db=connection)
