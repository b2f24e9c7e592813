"""Where the gateway's pool comes from, and the live pool that follows the database.

Two sources, exactly one of them configured (:func:`choose_pool`):

* ``TICKHUB_DATABASE_URL``: the accounts. :class:`DatabasePool` reads every account
  (a disabled one stays in view as a stopped source whose reason is "disabled") and
  the universe, spreads the universe's contracts over the accounts (:mod:`.universe`;
  the instrument catalog it resolves against is :mod:`.catalog`'s), hands the list
  to :meth:`GatewayManager.apply`, which starts, stops or restarts what changed and
  has running workers subscribe what their contracts gained, and reads again on
  every ``tickhub.accounts.changed`` and ``tickhub.universe.changed`` (debounced: an
  import of fifty accounts is one read), every new catalog, and every
  ``TICKHUB_POOL_POLL_S`` besides, so an announcement lost while NATS was away costs a
  few seconds, not a change.
  While the database is down the pool it last read keeps running; the outage is
  logged once, and so is the recovery.
* ``TICKHUB_SOURCES``: a static list, for benchmarks and rehearsal without a
  database.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date

import asyncpg
import msgspec
from nats.aio.client import Client
from tortoise.exceptions import BaseORMException

from tickhub_accounts.crypto import SecretBox
from tickhub_accounts.db import open_database, redact, tortoise_config
from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.source_config import AccountConfigError, AccountSource, pool_source_configs
from tickhub_accounts.universe_store import load_allocation, store_allocation, universe_entries
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import AccountChanged, SourceConfig, UniverseChanged
from tickhub_runtime import bus, listen
from tickhub_runtime.logs import few, get_logger
from tickhub_runtime.settings import Settings
from tickhub_universe.resolve import is_live

from .catalog import CatalogKeeper
from .gateway_manager import GatewayManager
from .universe import spread

log = get_logger("tickhub.gateway.pool")

DEBOUNCE_S = 0.2
"""After an announcement, wait this long for more before reading: a script that
changes ten accounts causes one read, not ten."""

DATABASE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    BaseORMException,
)
"""What a read raises while the database is down, slow or restarting."""


class PoolConfigError(ValueError):
    """The gateway has no pool, or two: one line that says what to set."""


@dataclass(frozen=True)
class PoolChoice:
    database_url: str | None = None
    static: tuple[SourceConfig, ...] = ()


def choose_pool(settings: Settings) -> PoolChoice:
    """The database or the static list; :class:`PoolConfigError` for neither or both,
    or for a list or URL that cannot be used."""
    url = settings.database_url.get_secret_value() if settings.database_url else ""
    try:
        static = settings.static_pool.strip()
    except (ValueError, OSError) as error:
        raise PoolConfigError(f"no static pool: {error}") from None
    if url and static:
        raise PoolConfigError(
            "both TICKHUB_DATABASE_URL and TICKHUB_SOURCES(_FILE) are set: the pool comes from one "
            "of them (the account database, or a static list for benchmarks and rehearsal); "
            "unset the other"
        )
    if url:
        tortoise_config(url)  # DatabaseUrlError (a ValueError) when it is not PostgreSQL
        return PoolChoice(database_url=url)
    if static:
        try:
            return PoolChoice(static=tuple(settings.source_configs))
        except (ValueError, msgspec.MsgspecError) as error:
            raise PoolConfigError(f"TICKHUB_SOURCES is not a valid source list: {error}") from None
    raise PoolConfigError(
        "no sources to run: set TICKHUB_DATABASE_URL (the account database; `tickhub up` "
        "sets it) or TICKHUB_SOURCES (a static JSON list, for benchmarks and rehearsal)"
    )


class DatabasePool:
    """Keeps the manager's pool equal to the accounts in the database."""

    def __init__(
        self, settings: Settings, manager: GatewayManager, nc: Client, box: SecretBox, url: str
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.nc = nc
        self.box = box
        self.url = url
        self.reads = 0
        """Successful reads so far (tests wait on it)."""
        self._wake = asyncio.Event()
        self._down = False
        self._last: dict[int, SourceConfig] = {}
        """The configs of the last good read, by account id."""
        self._bad: dict[int, str] = {}
        """Accounts left out of the last read, with why (each is logged once)."""
        self._apply_error = ""
        self.catalog = CatalogKeeper(settings, nc, manager, self._wake.set)
        self._carried: dict[int, list[str]] | None = None
        """What each account carried after the last spread (None: not read yet)."""
        self._spread_key: object = None
        self._spread_sources: list[AccountSource] = []

    # --- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the database until ``stop``. Returns after the change in progress,
        never in the middle of starting or stopping a worker."""
        settings = self.settings
        async with open_database(
            self.url,
            timeout_s=settings.database_timeout_s,
            application_name="tickhub-gateway",
            min_connections=0,  # a read every few seconds needs no standing connection
        ):
            log.info(
                "pool: the accounts of %s, re-read on every change and every %.1f s",
                redact(self.url),
                settings.pool_poll_s,
            )
            changes = await listen.subscribe(
                self.nc,
                subjects.ACCOUNTS_CHANGED,
                AccountChanged,
                self._on_changed,
                what="account change",
                log=log,
            )
            universe = await listen.subscribe(
                self.nc,
                subjects.UNIVERSE_CHANGED,
                UniverseChanged,
                self._on_universe,
                what="universe change",
                log=log,
            )
            catalog_task: asyncio.Task[None] | None = None
            try:
                await bus.unless_stopped(self.catalog.start(), stop)
                while not stop.is_set():
                    # A read is abandoned (cancelled) if the service is told to stop
                    # meanwhile: it changes nothing, unlike the apply that follows it.
                    read = await bus.unless_stopped(self._read(), stop)
                    if stop.is_set():
                        break
                    if read is not None:
                        sources = await bus.unless_stopped(self._spread(read), stop)
                        if stop.is_set():
                            break
                        await self._apply(sources if sources is not None else read, read)
                    if catalog_task is None:
                        # After the first apply: the workers that can list instruments exist.
                        catalog_task = asyncio.create_task(self.catalog.run(stop), name="catalog")
                    await self._pause(stop)
            finally:
                if catalog_task is not None:
                    catalog_task.cancel()
                    await asyncio.gather(catalog_task, return_exceptions=True)
                await self.catalog.close()
                await universe.close(1.0)
                await changes.close(1.0)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the next poll, an announcement (then a short debounce) or the stop."""
        waits = {
            asyncio.create_task(self._wake.wait()),
            asyncio.create_task(stop.wait()),
        }
        try:
            await asyncio.wait(
                waits, timeout=self.settings.pool_poll_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in waits:
                task.cancel()
        if self._wake.is_set() and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DEBOUNCE_S)
        self._wake.clear()

    def _on_universe(self, subject: str, change: UniverseChanged) -> None:
        log.debug("universe %s %s: re-reading", change.action, change.entry)
        self._wake.set()

    def _on_changed(self, subject: str, change: AccountChanged) -> None:
        get_logger("tickhub.gateway.pool", source=change.name).debug(
            "account %d %s: re-reading the pool", change.account_id, change.action
        )
        self._wake.set()

    # --- one read ---------------------------------------------------------------------------

    async def _read(self) -> list[AccountSource] | None:
        """Every account as a SourceConfig; None (the pool stays) when the database
        cannot be read."""
        bad: dict[int, str] = {}
        enabled: dict[int, bool] = {}

        def left_out(account: MarketDataAccount, error: AccountConfigError) -> None:
            bad[account.id] = str(error)
            enabled[account.id] = account.is_enabled
            if self._bad.get(account.id) != str(error):
                known = account.id in self._last
                keeps = " (keeps its last good settings)" if known else ""
                get_logger("tickhub.gateway.pool", source=account.name).error(
                    "left out of the pool: %s%s", error, keeps
                )

        try:
            sources = await asyncio.wait_for(
                pool_source_configs(self.box, on_error=left_out),
                2 * self.settings.database_timeout_s,
            )
        except DATABASE_ERRORS as error:
            self._database_down(error)
            return None
        except Exception as error:  # not a database outage: say what it is, once
            if not self._down:
                log.exception("the pool could not be read")
            self._database_down(error)
            return None
        if self._down:
            self._down = False
            log.info("database reachable again: pool re-read (%d accounts)", len(sources))
        self._bad = bad
        # An account that cannot run now but did before (a secret that no longer
        # decrypts, a row edited by hand) keeps its last good settings: a mistake in
        # the database must not take a working feed down.
        for account_id in bad:
            last = self._last.get(account_id)
            if last is not None:
                # ... unless it was disabled: that needs no settings to carry out.
                last = msgspec.structs.replace(last, enabled=enabled[account_id])
                sources.append(AccountSource(account_id, last))
        self.reads += 1
        return sources

    def _database_down(self, error: BaseException) -> None:
        if self._down:
            log.debug("database still unreachable (%s)", type(error).__name__)
            return
        self._down = True
        running = len(self.manager.pool().gateways)
        log.warning(
            "database unreachable (%s: %s): keeping the pool of %d source(s); retrying every "
            "%.1f s",
            type(error).__name__,
            str(error)[:200] or "no detail",
            running,
            self.settings.pool_poll_s,
        )

    # --- the universe over the pool ---------------------------------------------------------

    async def _spread(self, read: list[AccountSource]) -> list[AccountSource] | None:
        """The accounts with the universe's contracts spread over them; None when the
        universe cannot be read (the accounts then run with what they carried)."""
        try:
            entries = await universe_entries()
            if self._carried is None:
                self._carried = await load_allocation()
        except DATABASE_ERRORS as error:
            self._database_down(error)
            return None
        catalog = self.catalog
        day = catalog.trading_day()
        key = (tuple(entries), catalog.version, day, tuple(read))
        if key == self._spread_key:
            return self._spread_sources
        result = spread(
            read,
            entries,
            catalog.catalog,
            day,
            self._carried,
            copies=self.settings.universe_copies,
        )
        self._spread_key, self._spread_sources = key, result.sources
        if result.carried != self._carried:
            try:
                await store_allocation(result.carried)
            except DATABASE_ERRORS as error:
                self._database_down(error)
            else:
                self._carried = result.carried
                self._announce_allocation(result.allocation.moved, len(result.resolved.contracts))
                with contextlib.suppress(Exception):
                    await self.nc.publish(
                        subjects.ALLOCATION_CHANGED,
                        codec.encode(UniverseChanged(at=catalog.clock(), action="updated")),
                    )
            allocation = result.allocation
            if allocation.uncovered:
                log.warning(
                    "universe: %d contract(s) have no source (no account may carry them or "
                    "none has room): %s",
                    len(allocation.uncovered),
                    few(allocation.uncovered),
                )
            if allocation.single:
                log.warning(
                    "universe: %d contract(s) have one source only, no failover: %s",
                    len(allocation.single),
                    few(allocation.single),
                )
            self._warn_dead_canaries(read, day)
            for entry in result.resolved.unmatched:
                log.warning("universe: entry %s matches no listed instrument", entry)
            for contract in result.resolved.not_listed:
                log.warning(
                    "universe: %s is not listed (expired or unknown): not subscribed", contract
                )
        return result.sources

    def _warn_dead_canaries(self, read: list[AccountSource], day: date) -> None:
        """A canary that is not listed on the trading day never ticks at a broker's
        front: its source would look dead. Said once per catalog."""
        catalog = self.catalog.catalog
        if not len(catalog):
            return
        for source in read:
            canary = source.config.canary
            instrument = catalog.get(canary) if canary else None
            if instrument is not None and is_live(instrument, day):
                continue
            get_logger("tickhub.gateway.pool", source=source.config.name).warning(
                "canary %s is not listed on trading day %s (expired, or not in the catalog): "
                "at a broker's front it never ticks and the source looks dead; choose a "
                "listed month",
                canary,
                day,
            )

    def _announce_allocation(self, moved: int, contracts: int) -> None:
        log.info(
            "universe: %d contracts on trading day %s over %d account(s); %d moved",
            contracts,
            self.catalog.trading_day(),
            len(self._carried or {}),
            moved,
        )

    async def _apply(self, sources: list[AccountSource], read: list[AccountSource]) -> None:
        await self._carry_renamed_stops(sources)
        try:
            await self.manager.apply([source.config for source in sources])
        except ValueError as error:
            if str(error) != self._apply_error:
                log.error("the accounts do not make a valid pool (%s); the pool stays", error)
            self._apply_error = str(error)
            return
        self._apply_error = ""
        # As read, not as spread: an account left out later keeps its own settings.
        self._last = {source.account_id: source.config for source in read}
        await self.manager.sync_manual_stops()

    async def _carry_renamed_stops(self, sources: list[AccountSource]) -> None:
        """A renamed account is the same account: its manual stop moves with it."""
        stops = self.manager.stops
        if stops is None:
            return
        for account_id, config, *_ in sources:
            old = self._last.get(account_id)
            if old is None or old.name == config.name:
                continue
            if config.enabled and not old.enabled:
                continue  # renamed and enabled at once: enabling releases the stop
            status = self.manager.status(old.name)
            if status is not None and status.manual_stop:
                await stops.remember(config.name, "operator")
