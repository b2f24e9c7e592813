"""The instrument catalog: where the gateway gets it, how it keeps it, who hears of it.

Where a new catalog comes from, first that works:

1. a running source that can list instruments (those logged in first, each group
   preferred first): a ``ctp`` account with a trading front (its td api's instrument
   query), or a ``sim`` (the simulated market's listings). The worker answers
   ``query_instruments`` with :class:`InstrumentBatch` messages on
   ``tickhub.instruments.<source>``; the catalog is taken only when it arrives whole;
2. the operator's catalog file (``TICKHUB_CATALOG_FILE``, docs/universe.md), for a pool
   of market-data-only accounts;
3. else the stored catalog stays, and the refresh says why it could not do better.

A new catalog replaces the stored one in one transaction
(:func:`tickhub_accounts.universe_store.replace_catalog`), is announced on
``tickhub.catalog.changed`` with what was listed and what expired, and wakes the pool,
which spreads the universe again. Refreshes happen at start, at
``TICKHUB_CATALOG_REFRESH_AT`` every day (before the day and the night session) and on
request (``tickhub.catalog.refresh``: the api's ``POST /api/instruments/refresh``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from nats.aio.client import Client

from tickhub_accounts.universe_store import CatalogMeta, load_catalog, replace_catalog
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import (
    CatalogRefresh,
    CatalogRefreshed,
    Instrument,
    InstrumentBatch,
    WorkerCommand,
)
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.trading_days import trading_day
from tickhub_runtime import listen
from tickhub_runtime.logs import few, get_logger
from tickhub_runtime.settings import Settings
from tickhub_universe.catalog import Catalog, CatalogFileError, read_catalog_file

from .gateway_manager import GatewayManager

log = get_logger("tickhub.gateway.catalog")

ANNOUNCED_MAX = 100
"""vt_symbols listed in one announcement (the log names them all)."""

SOURCE_WAIT_S = 0.5
"""How often the first refresh looks for a connected source to ask."""


@dataclass
class _Answer:
    """One query's batches as they arrive."""

    instruments: list[Instrument] = field(default_factory=list)
    done: asyncio.Future[InstrumentBatch] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class CatalogKeeper:
    """Keeps the catalog: in memory for the pool, in the database for everyone."""

    def __init__(
        self,
        settings: Settings,
        nc: Client,
        manager: GatewayManager,
        on_change: Callable[[], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.nc = nc
        self.manager = manager
        self.on_change = on_change
        self.clock = clock
        self.catalog = Catalog(())
        self.meta = CatalogMeta(origin="", trading_day=None, refreshed_at=None, instruments=0)
        self.version = 0
        """Bumped by every new catalog: the pool spreads the universe again."""
        self._answers: dict[str, _Answer] = {}
        self._refreshing = asyncio.Lock()
        self._listeners: list[listen.Listener[InstrumentBatch] | listen.Listener[CatalogRefresh]]
        self._listeners = []

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Load the stored catalog and listen for answers and refresh requests."""
        instruments, meta = await load_catalog()
        self._keep(instruments, meta)
        if meta.instruments:
            log.info(
                "stored catalog: %d instruments from %s (trading day %s)",
                meta.instruments,
                meta.origin or "?",
                meta.trading_day,
            )
        self._listeners.append(
            await listen.subscribe(
                self.nc,
                subjects.INSTRUMENTS_ALL,
                InstrumentBatch,
                self._on_batch,
                what="instrument list",
                log=log,
            )
        )
        self._listeners.append(
            await listen.serve(
                self.nc,
                subjects.CATALOG_REFRESH,
                CatalogRefresh,
                self._on_refresh,
                refuse=lambda reason: CatalogRefreshed(ok=False, error=reason),
                what="catalog refresh",
                log=log,
            )
        )

    async def close(self) -> None:
        for listener in self._listeners:
            with contextlib.suppress(Exception):
                await listener.close(1.0)
        for answer in self._answers.values():
            answer.done.cancel()

    def trading_day(self) -> dt.date:
        """The trading day the universe is resolved for: the clock's, or the catalog's
        when its source says it is later (a front already in tomorrow's trading day)."""
        return self.meta.resolution_day(self.clock())

    # --- the schedule -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """The first refresh as soon as a source can answer, then one at every
        ``catalog_refresh_at`` time, until ``stop``."""
        await self._first(stop)
        while not stop.is_set():
            wait = self._until_next(self.clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if not stop.is_set():
                await self.refresh("schedule")

    async def _first(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.catalog_query_timeout_s
        while not stop.is_set() and loop.time() < deadline:
            if self.manager.instrument_sources(connected=True):
                break
            if not self.manager.instrument_sources(connected=False):
                break  # nobody to wait for: the file or the stored catalog
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SOURCE_WAIT_S)
        if not stop.is_set():
            await self.refresh("start")

    def _until_next(self, now: dt.datetime) -> float:
        local = now.astimezone(CHINA_TZ)
        times = sorted(self.settings.catalog_refresh_at) or [dt.time(8, 30)]
        for day in (local.date(), local.date() + dt.timedelta(days=1)):
            for at in times:
                moment = dt.datetime.combine(day, at, CHINA_TZ)
                if moment > local:
                    return (moment - local).total_seconds()
        return 86_400.0

    # --- a refresh ------------------------------------------------------------------------

    async def _on_refresh(self, subject: str, request: CatalogRefresh) -> CatalogRefreshed:
        return await self.refresh(request.by)

    async def refresh(self, by: str) -> CatalogRefreshed:
        """A new catalog from the first origin that gives one; one refresh at a time."""
        async with self._refreshing:
            log.info("catalog refresh (%s)", by)
            errors: list[str] = []
            # Those logged in first: one still connecting would hold the refresh until
            # it logs in (or the query times out) while another could answer now.
            ready = self.manager.instrument_sources(connected=True)
            later = [n for n in self.manager.instrument_sources(connected=False) if n not in ready]
            for name in ready + later:
                batch, instruments = await self._ask(name)
                if batch.error:
                    errors.append(f"{name}: {batch.error}")
                    log.warning("catalog: %s could not list instruments: %s", name, batch.error)
                    continue
                if not instruments:
                    errors.append(f"{name}: listed no instrument")
                    log.warning("catalog: %s listed no instrument", name)
                    continue
                return await self._store(instruments, name, batch.trading_day)
            path = self.settings.catalog_file
            if path is not None:
                try:
                    instruments = await asyncio.to_thread(read_catalog_file, path)
                except (OSError, CatalogFileError) as error:
                    errors.append(f"catalog file: {error}")
                    log.error("catalog file %s cannot be read: %s", path, error)
                else:
                    return await self._store(instruments, "file", trading_day(self.clock()))
            why = "; ".join(errors) or (
                "no running account can list instruments (a ctp account with a trading "
                "front, or a sim) and TICKHUB_CATALOG_FILE is not set"
            )
            kept = (
                f"keeping the stored catalog ({self.meta.instruments} instruments of "
                f"{self.meta.trading_day})"
                if self.meta.instruments
                else "there is no stored catalog"
            )
            log.warning("catalog not refreshed: %s; %s", why, kept)
            return CatalogRefreshed(
                ok=False,
                origin=self.meta.origin,
                trading_day=self.meta.trading_day,
                instruments=self.meta.instruments,
                at=self.clock(),
                error=f"{why}; {kept}",
            )

    async def _ask(self, name: str) -> tuple[InstrumentBatch, list[Instrument]]:
        """One source's whole instrument list, or a batch that says why not."""
        query = uuid.uuid4().hex
        answer = self._answers[query] = _Answer()
        timeout = self.settings.catalog_query_timeout_s
        try:
            error = await self.manager.ask_worker(
                name, WorkerCommand(action="query_instruments", query=query)
            )
            if error is not None:
                return InstrumentBatch(source=name, query=query, last=True, error=error), []
            try:
                last = await asyncio.wait_for(asyncio.shield(answer.done), timeout)
            except TimeoutError:
                got = len(answer.instruments)
                error = f"no complete instrument list within {timeout:g} s ({got} so far)"
                return InstrumentBatch(source=name, query=query, last=True, error=error), []
            return last, answer.instruments
        finally:
            self._answers.pop(query, None)

    def _on_batch(self, subject: str, batch: InstrumentBatch) -> None:
        answer = self._answers.get(batch.query)
        if answer is None or answer.done.done():
            return  # an answer nobody waits for any more
        answer.instruments.extend(batch.instruments)
        if batch.last:
            answer.done.set_result(batch)

    async def _store(
        self, instruments: list[Instrument], origin: str, day: dt.date | None
    ) -> CatalogRefreshed:
        at = self.clock()
        diff = await replace_catalog(instruments, origin=origin, trading_day=day, at=at)
        meta = CatalogMeta(
            origin=origin, trading_day=day, refreshed_at=at, instruments=len(instruments)
        )
        self._keep(instruments, meta)
        log.info(
            "catalog: %d instruments from %s (trading day %s): %d listed (%s), %d gone (%s), "
            "%d changed",
            len(instruments),
            origin,
            day,
            len(diff.listed),
            few(diff.listed),
            len(diff.expired),
            few(diff.expired),
            diff.changed,
        )
        done = CatalogRefreshed(
            ok=True,
            origin=origin,
            trading_day=day,
            instruments=len(instruments),
            listed=sorted(diff.listed)[:ANNOUNCED_MAX],
            expired=sorted(diff.expired)[:ANNOUNCED_MAX],
            at=at,
        )
        try:
            await self.nc.publish(subjects.CATALOG_CHANGED, codec.encode(done))
        except Exception as error:
            log.warning("catalog change not announced: %r", error)
        self.on_change()
        return done

    def _keep(self, instruments: list[Instrument], meta: CatalogMeta) -> None:
        self.catalog = Catalog(instruments)
        self.meta = meta
        self.version += 1
