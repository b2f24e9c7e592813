"""What the manager hears on NATS: the workers' heartbeats and connection messages
(folded into each source's tracker), commands (``tickhub.control.<source>``, carried
out by :mod:`.commands`) and the pool query (``tickhub.pool``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, Connection, Heartbeat, Reply
from tickhub_runtime.logs import get_logger

from .cold import ColdMode
from .commands import Commands
from .state import NATS_STEP_TIMEOUT_S, ManagerState
from .status import StatusPublisher

log = get_logger("tickhub.gateway.manager")


class Intake:
    def __init__(
        self, state: ManagerState, status: StatusPublisher, commands: Commands, cold: ColdMode
    ) -> None:
        self.state = state
        self.status = status
        self.commands = commands
        self.cold = cold
        self._subscriptions: list[Subscription] = []

    async def start(self) -> None:
        """Listen to workers, commands and the pool query."""
        nc = self.state.nc
        self._subscriptions = [
            await nc.subscribe(subjects.HEARTBEAT_ALL, cb=self._on_heartbeat),
            await nc.subscribe(subjects.CONNECTION_ALL, cb=self._on_connection),
            await nc.subscribe(subjects.CONTROL_ALL, cb=self._spawn_task(self._on_command)),
            await nc.subscribe(subjects.POOL, cb=self._spawn_task(self._on_pool)),
        ]

    async def close(self) -> None:
        """Stop listening, each step bounded: the server may hang."""
        for sub in self._subscriptions:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), NATS_STEP_TIMEOUT_S)

    def _spawn_task(
        self, handler: Callable[[Msg], Coroutine[Any, Any, None]]
    ) -> Callable[[Msg], Awaitable[None]]:
        """nats-py runs a subscription's callbacks one at a time; a request must not
        wait for the one before it (a restart takes seconds)."""

        async def cb(msg: Msg) -> None:
            self.state.track(asyncio.create_task(handler(msg)))

        return cb

    async def _on_command(self, msg: Msg) -> None:
        name = msg.subject.rsplit(".", 1)[-1]
        try:
            command = codec.decode(msg.data, Command)
        except codec.DecodeError as error:
            reply = Reply(ok=False, error=f"bad command: {error}")
        else:
            reply = await self.commands.command(name, command)
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(codec.encode(reply))

    async def _on_pool(self, msg: Msg) -> None:
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(codec.encode(self.status.pool()))

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            beat = codec.decode(msg.data, Heartbeat)
        except codec.DecodeError:
            log.warning("dropped a malformed heartbeat on %s", msg.subject)
            return
        source = self.state.sources.get(beat.source)
        now = time.monotonic()
        if source is not None and source.tracker.on_heartbeat(beat, now):
            await self.status.publish(source)
            if self.state.mode == "cold":
                self.cold.check_holding(source, beat, now)

    async def _on_connection(self, msg: Msg) -> None:
        try:
            conn = codec.decode(msg.data, Connection)
        except codec.DecodeError:
            log.warning("dropped a malformed connection message on %s", msg.subject)
            return
        source = self.state.sources.get(conn.source)
        if source is not None and source.tracker.on_connection(conn):
            await self.status.publish(source)
