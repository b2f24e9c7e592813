"""Pool reconciliation: the manager's sources made the list it is given.

:func:`.plan.plan_pool` says what changes (pure); :class:`Reconciler` carries it out.
An operator's stop is remembered in the ``tickhub_manual_stops`` bucket
(:mod:`.manual_stops`), so it holds across a restart of the service. A stop is released by a
start or restart (:mod:`.commands`), by enabling the account again (an operator's
decision that it should run) and by removing the source.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from tickhub_contracts.messages import SourceConfig
from tickhub_runtime.logs import get_logger

from .cold import ColdMode
from .plan import plan_pool
from .state import ManagerState, Source
from .status import StatusPublisher
from .workers import Workers

log = get_logger("tickhub.gateway.manager")


class Reconciler:
    def __init__(
        self, state: ManagerState, status: StatusPublisher, workers: Workers, holding: ColdMode
    ) -> None:
        self.state = state
        self.status = status
        self.workers = workers
        self.holding = holding
        self.apply_lock = asyncio.Lock()

    async def apply(self, configs: list[SourceConfig]) -> None:
        """Make the pool ``configs``: start new sources, stop removed ones, restart
        changed ones (a priority change only updates the status). Raises ValueError,
        changing nothing, when the list is invalid."""
        async with self.apply_lock:
            current = {name: s.tracker.config for name, s in self.state.sources.items()}
            plan = plan_pool(current, configs)
            if plan.empty:
                return
            log.info(
                "pool: add %s, remove %s, restart %s, update %s, resubscribe %s",
                [c.name for c in plan.add],
                plan.remove,
                [c.name for c in plan.restart],
                [c.name for c in plan.update],
                [c.name for c in plan.resubscribe],
            )
            jobs: list[Awaitable[None]] = []
            for config in plan.add:
                source = self.state.sources[config.name] = Source(config)
                jobs.append(self._add(source))
            for name in plan.remove:
                jobs.append(self._remove(self.state.sources[name]))
            for config in plan.restart:
                jobs.append(self._reconfigure(self.state.sources[config.name], config))
            for config in plan.update:
                jobs.append(self._update(self.state.sources[config.name], config))
            for config in plan.resubscribe:
                jobs.append(self._resubscribe(self.state.sources[config.name], config))
            await asyncio.gather(*jobs)

    async def _add(self, source: Source) -> None:
        async with source.lock:
            tracker = source.tracker
            if not tracker.config.enabled:
                tracker.stopped(None, "disabled")
                await self.status.publish(source)
            elif await self._remembered_stop(tracker.name):
                tracker.manual_stop = True
                tracker.stopped(None, "stopped by an operator (remembered)")
                source.log.info("stays stopped: an operator stopped it")
                await self.status.publish(source)
            else:
                await self.workers.spawn(source)

    async def _remembered_stop(self, name: str) -> bool:
        stops = self.state.stops
        if stops is None or name not in stops.names:
            return False
        # The api deletes a stop when it enables or deletes the account: ask the bucket.
        # When it cannot tell, the stop holds (an operator's stop is never guessed away).
        return await stops.held(name) is not False

    async def _remove(self, source: Source) -> None:
        async with source.lock:
            await self.workers.end(source, "removed from the pool")
            self.state.sources.pop(source.tracker.name, None)
            if source.tracker.manual_stop and self.state.stops is not None:
                # A new source of that name later is not the one an operator stopped.
                await self.state.stops.forget(source.tracker.name)

    async def _reconfigure(self, source: Source, config: SourceConfig) -> None:
        async with source.lock:
            tracker = source.tracker
            was_running = source.process is not None
            was_enabled = tracker.config.enabled
            tracker.config = config
            if config.enabled and not was_enabled and tracker.manual_stop:
                # Enabling is an operator's decision that the source should run.
                source.log.info("enabled again: the manual stop is released")
                await self.state.release(source)
            if was_running:
                await self.workers.end(source, "configuration changed")
            if not config.enabled:
                tracker.stopped(tracker.exit_code, "disabled")
                await self.status.publish(source)
            elif tracker.manual_stop:
                await self.status.publish(source)  # stays stopped until an operator starts it
            elif was_running or tracker.state == "stopped":  # not one that crashed
                tracker.restarts += int(was_running)
                await self.workers.spawn(source)

    async def sync_manual_stops(self) -> None:
        """Release the sources whose stop is gone from the bucket (the api deleted it
        when enabling the account; an operator may ``nats kv del`` it), and start them
        if enabled. Checked under each source's lock, so a stop being made right now is
        never taken for a released one."""
        stops = self.state.stops
        if stops is None:
            return
        for source in list(self.state.sources.values()):
            if not source.tracker.manual_stop:
                continue
            async with source.lock:
                tracker = source.tracker
                if self.state.closed or self.state.sources.get(tracker.name) is not source:
                    continue
                if not tracker.manual_stop or await stops.held(tracker.name) is not False:
                    continue
                source.log.info("its manual stop was released")
                tracker.manual_stop = False
                if tracker.config.enabled and source.process is None:
                    await self.workers.spawn(source)
                else:
                    await self.status.publish(source)

    async def _resubscribe(self, source: Source, config: SourceConfig) -> None:
        """New contracts for a running source, without a restart: its worker subscribes
        the new ones and then drops the old (a worker not running starts with them)."""
        async with source.lock:
            old = set(source.tracker.config.contracts)
            source.tracker.config = config
            new = set(config.contracts)
            source.log.info(
                "contracts: %d now (%d added, %d removed)",
                len(new),
                len(new - old),
                len(old - new),
            )
            error = await self.holding.hold(source, source.held)
            if error is not None:
                source.log.warning("could not change what its worker holds: %s", error)
            await self.status.publish(source)

    async def _update(self, source: Source, config: SourceConfig) -> None:
        async with source.lock:
            source.tracker.config = config
            await self.status.publish(source)
