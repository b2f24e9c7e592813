"""The sources' statuses: the view the pool query answers with, each source's status
published on every change (:meth:`StatusPublisher.publish`), and the clock
(:meth:`StatusPublisher.watch`) that declares a worker ``hung`` when its heartbeats
stop and publishes every status again every ``status_interval_s``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import GatewayStatus, PoolStatus
from tickhub_runtime.link import LinkWatch

from .state import NATS_STEP_TIMEOUT_S, ManagerState, Source

CHECK_INTERVAL_S = 0.1
"""How often heartbeat ages are checked (the hung verdict's resolution)."""


class StatusPublisher:
    def __init__(self, state: ManagerState) -> None:
        self.state = state

    def pool(self) -> PoolStatus:
        sources = sorted(
            self.state.sources.values(), key=lambda s: (s.tracker.config.priority, s.tracker.name)
        )
        at = datetime.now(UTC)
        return PoolStatus(gateways=[s.tracker.status(at) for s in sources])

    def status(self, name: str) -> GatewayStatus | None:
        source = self.state.sources.get(name)
        return source.tracker.status() if source else None

    async def watch(self) -> None:
        settings = self.state.settings
        link = LinkWatch(self.state.nc, stale_s=min(0.6, settings.heartbeat_timeout_s / 2))
        link.start()
        try:
            await self._watch_with(link)
        finally:
            await link.close()

    async def _watch_with(self, link: LinkWatch) -> None:
        settings = self.state.settings
        while True:
            await asyncio.sleep(CHECK_INTERVAL_S)
            now = time.monotonic()
            # Cut off the bus (or on a half-open link) we hear no heartbeats: that says
            # nothing about the workers, so the silence is forgiven once we are back.
            if not link.hearing(now):
                continue
            if link.take_regained():
                for source in self.state.sources.values():
                    source.tracker.excuse_silence(now)
            for source in list(self.state.sources.values()):
                tracker = source.tracker
                if tracker.check(
                    now, settings.heartbeat_timeout_s, settings.worker_start_timeout_s
                ):
                    source.log.warning("worker %s: %s", tracker.pid, tracker.reason)
                    await self.publish(source)
            # A status published for a change also counts as the periodic one. A source
            # under its lock is mid-change (joining the pool, restarting): its tracker is
            # half-way, and the change publishes the outcome itself when it is done.
            for source in list(self.state.sources.values()):
                if source.lock.locked():
                    continue
                if now - source.sent_at >= settings.status_interval_s:
                    source.tracker.take_change()
                    await self.send(source)

    async def publish(self, source: Source) -> None:
        """Publish the status if it changed."""
        if source.tracker.take_change():
            await self.send(source)

    async def send(self, source: Source) -> None:
        status = source.tracker.status()
        source.sent_at = time.monotonic()
        try:
            await asyncio.wait_for(
                self.state.nc.publish(subjects.status(status.source), codec.encode(status)),
                NATS_STEP_TIMEOUT_S,
            )
        except Exception as error:
            source.log.warning("status not published: %r", error)
