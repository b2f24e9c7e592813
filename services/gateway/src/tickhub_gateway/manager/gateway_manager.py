"""``GatewayManager``: one worker process per source, watched and commanded over NATS.

What it does for each source, each job in a module of its own, all sharing one
:class:`~.state.ManagerState`:

* runs its worker and waits on the process, so an exit or a kill is published the
  moment it happens; it does not restart it by itself: the failover service orders
  that (:mod:`.workers`, :mod:`.process`);
* folds the worker's Heartbeats and Connection messages into a
  :class:`GatewayStatus` (:mod:`.intake`, :mod:`.tracker`), declares it ``hung`` when
  the heartbeats stop, and publishes the status on every change and every
  ``status_interval_s`` (:mod:`.status`);
* answers commands (``tickhub.control.<source>``, :mod:`.commands`) and the pool query
  (``tickhub.pool``);
* remembers an operator's stop in the ``tickhub_manual_stops`` bucket
  (:mod:`.manual_stops`), so it holds across a restart of the service;
* in cold failover mode, keeps what the failover service assigned each source and
  makes its worker hold that (:mod:`.cold`, :mod:`.assignment`).

Commands for one source are serialised by that source's lock; each request runs in
its own task, so a slow restart never holds up another source or the loop. The pool
can change at run time through :meth:`GatewayManager.apply` (:mod:`.reconcile`).
"""

from __future__ import annotations

import asyncio

from nats.aio.client import Client

from tickhub_contracts.messages import (
    Command,
    GatewayStatus,
    PoolStatus,
    Reply,
    SourceConfig,
    WorkerCommand,
)
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .cold import ColdMode
from .commands import Commands
from .intake import Intake
from .manual_stops import ManualStops
from .reconcile import Reconciler
from .state import ManagerState, Source
from .status import StatusPublisher
from .workers import Workers

log = get_logger("tickhub.gateway.manager")


class GatewayManager:
    def __init__(self, settings: Settings, nc: Client, stops: ManualStops | None = None) -> None:
        state = self._state = ManagerState(settings, nc, stops)
        self._status = StatusPublisher(state)
        self._workers = Workers(state, self._status)
        self._cold = ColdMode(state, self._workers)
        self._reconciler = Reconciler(state, self._status, self._workers, self._cold)
        self._commands = Commands(state, self._status, self._workers, self._cold)
        self._intake = Intake(state, self._status, self._commands, self._cold)
        self._monitor: asyncio.Task[None] | None = None

    @property
    def settings(self) -> Settings:
        return self._state.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self._state.settings = settings

    @property
    def stops(self) -> ManualStops | None:
        """Where manual stops are remembered; None: in memory only (tests, embedding)."""
        return self._state.stops

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to workers and commands; call before :meth:`apply`."""
        await self._intake.start()
        self._monitor = asyncio.create_task(self._status.watch(), name="gateway-monitor")

    async def close(self) -> None:
        """Stop every worker (grace, then SIGKILL) and stop listening.

        Commands already running finish first (each source's lock), so no process
        is ever left half-started; commands arriving later are refused. The workers
        go before anything that talks to NATS, which can hang when the server does.
        """
        state = self._state
        if state.closed:
            return
        state.closed = True
        if self._monitor is not None:
            self._monitor.cancel()
            await asyncio.gather(self._monitor, return_exceptions=True)

        async def end(source: Source) -> None:
            async with source.lock:
                await self._workers.end(source, "manager shut down")

        async with self._reconciler.apply_lock:
            await asyncio.gather(*(end(source) for source in list(state.sources.values())))
        await self._intake.close()
        for task in list(state.tasks):
            task.cancel()
        await asyncio.gather(*state.tasks, return_exceptions=True)
        log.info("every worker stopped")

    # --- the pool, its statuses, commands ----------------------------------------------------

    async def apply(self, configs: list[SourceConfig]) -> None:
        """Make the pool ``configs`` (:meth:`.reconcile.Reconciler.apply`); raises
        ValueError, changing nothing, when the list is invalid."""
        await self._reconciler.apply(configs)

    async def sync_manual_stops(self) -> None:
        """Release the sources whose stop is gone from the bucket, and start them if
        enabled (:meth:`.reconcile.Reconciler.sync_manual_stops`)."""
        await self._reconciler.sync_manual_stops()

    def pool(self) -> PoolStatus:
        return self._status.pool()

    def status(self, name: str) -> GatewayStatus | None:
        return self._status.status(name)

    async def command(self, name: str, command: Command) -> Reply:
        """Carry out one command (what ``tickhub.control.<name>`` does)."""
        return await self._commands.command(name, command)

    # --- the instrument catalog (:mod:`.catalog`) ----------------------------------------------

    def instrument_sources(self, *, connected: bool) -> list[str]:
        """The running sources that can list instruments, preferred first: sims, and ctp
        accounts with a trading front; with ``connected``, only those logged in now."""
        found: list[tuple[int, str]] = []
        for source in self._state.sources.values():
            config = source.tracker.config
            if not config.enabled or source.process is None:
                continue
            if config.gateway_type == "ctp" and not (config.ctp and config.ctp.td_front.strip()):
                continue
            if connected and source.tracker.connection != "connected":
                continue
            found.append((config.priority, config.name))
        return [name for _, name in sorted(found)]

    async def ask_worker(self, name: str, command: WorkerCommand) -> str | None:
        """Send a source's worker a command; its error, or None when it did it."""
        source = self._state.sources.get(name)
        if source is None or source.process is None:
            return f"{name} has no running worker"
        return await self._workers.ask(source, command)
