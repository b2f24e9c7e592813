"""What the manager's parts share: each source's live record (:class:`Source`) and the
:class:`ManagerState`: the settings, the bus, the manual stops, the failover mode, the
sources and the background tasks.

Every part of the GatewayManager holds the one ManagerState and reads it when it acts,
so a change made there (a new ``settings``) reaches every part.
"""

from __future__ import annotations

import asyncio

from nats.aio.client import Client

from tickhub_contracts.messages import SourceConfig
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .manual_stops import ManualStops
from .tracker import SourceTracker

NATS_STEP_TIMEOUT_S = 1.0
"""Bound on each NATS call made while shutting down."""


class Source:
    """A tracker plus the live parts that are not pure: process, lock, watcher."""

    def __init__(self, config: SourceConfig) -> None:
        self.tracker = SourceTracker(config)
        self.lock = asyncio.Lock()
        self.process: asyncio.subprocess.Process | None = None
        self.ending = False
        """Set while we end the process on purpose: its exit is not a failure."""
        self.frozen = False
        """SIGSTOPped by the hang fault."""
        self.sent_at = 0.0
        """Monotonic time its status was last published."""
        self.assigned: frozenset[str] = frozenset()
        """Cold failover mode: the contracts the failover service assigned it."""
        self.held: frozenset[str] = frozenset()
        """What the current worker was started with or last told to hold."""
        self.mend_after = 0.0
        """Monotonic time before which a heartbeat's mismatch is not mended."""
        self.log = get_logger("tickhub.gateway.manager", source=config.name)


class ManagerState:
    """The settings, the bus, the manual stops and the sources, as every part sees them."""

    def __init__(self, settings: Settings, nc: Client, stops: ManualStops | None) -> None:
        self.settings = settings
        self.nc = nc
        self.stops = stops
        """Where manual stops are remembered; None: in memory only (tests, embedding)."""
        self.mode = settings.failover_mode
        self.sources: dict[str, Source] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep a background task until it ends; closing cancels what is left."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def release(self, source: Source) -> None:
        """Drop the manual stop (caller holds the lock)."""
        source.tracker.manual_stop = False
        if self.stops is not None:
            await self.stops.forget(source.tracker.name)
