"""What the app holds while it runs (``app.state``), with typed accessors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from fastapi import Request
from nats.aio.client import Client

from tickhub_accounts.crypto import SecretBox
from tickhub_runtime import bus
from tickhub_runtime.logs import NatsLogHandler, get_logger
from tickhub_runtime.settings import Settings

from .errors import ApiError
from .feed import Feed
from .gateway_view import publisher_stale_after_s
from .live import LiveBoard

log = get_logger(__name__)


@dataclass
class NatsLink:
    """The api's NATS connection, made in the background: the api serves (and says
    in /health/ready that NATS is down) while the bus is not there yet."""

    settings: Settings
    nc: Client | None = None
    board: LiveBoard = field(init=False)
    """The hub as the bus shows it (statuses, health, routing, recent events), filled
    once connected."""
    feed: Feed = field(init=False)
    """The bus's news, kept in ``board`` and fanned out to the /ws clients."""
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.board = LiveBoard(recent_logs=self.settings.ws_recent_logs)
        self.feed = Feed(
            self.board,
            queue_limit=self.settings.ws_queue_limit,
            pool_timeout_s=min(2.0, self.settings.command_timeout_s),
            publisher_stale_s=publisher_stale_after_s(self.settings.publisher_stats_s),
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="nats-connect")

    async def _connect(self) -> None:
        self.nc = await bus.open_for_service(self.settings, "api")
        log.info("connected to NATS")
        await self.feed.attach(self.nc)

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.feed.close()
        if self.nc is not None:
            root = logging.getLogger()
            for handler in list(root.handlers):
                if isinstance(handler, NatsLogHandler) and handler.nc is self.nc:
                    root.removeHandler(handler)
            if not self.nc.is_closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.nc.drain(), 5)


def box_of(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.box
    return box


def nats_of(request: Request) -> NatsLink:
    link: NatsLink = request.app.state.nats
    return link


def require_database(request: Request) -> None:
    """503 on every /api endpoint while no database is configured."""
    if request.app.state.db is None:
        raise ApiError(503, "no database is configured: set TICKHUB_DATABASE_URL")
