"""What the manager hears on NATS: the workers' heartbeats and connection messages
(folded into each source's tracker), commands (``tickhub.control.<source>``, carried
out by :mod:`.commands`) and the pool query (``tickhub.pool``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, Connection, Heartbeat, Reply
from tickhub_runtime import listen
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
        self._listeners: list[listen.Listener[Any]] = []
        self._pool: Subscription | None = None

    async def start(self) -> None:
        """Listen to workers, commands and the pool query."""
        nc = self.state.nc
        self._listeners = [
            await listen.subscribe(
                nc, subjects.HEARTBEAT_ALL, Heartbeat, self._on_heartbeat, what="heartbeat", log=log
            ),
            await listen.subscribe(
                nc,
                subjects.CONNECTION_ALL,
                Connection,
                self._on_connection,
                what="connection message",
                log=log,
            ),
            # Each command in a task of its own (serve's default): a request must not
            # wait for the one before it (a restart takes seconds).
            await listen.serve(
                nc,
                subjects.CONTROL_ALL,
                Command,
                self._on_command,
                refuse=lambda reason: Reply(ok=False, error=reason),
                what="command",
                log=log,
            ),
        ]
        # The pool query has an empty body: nothing to decode.
        self._pool = await nc.subscribe(subjects.POOL, cb=self._spawn_pool_reply)
        # Once start returns the server knows every subscription: a command sent at once
        # (by another connection) finds its responder instead of "no responders".
        # Bounded: with the server away the subscriptions are replayed on reconnect.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.flush(), NATS_STEP_TIMEOUT_S)

    async def close(self) -> None:
        """Stop listening, each step bounded: the server may hang."""
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.unsubscribe(), NATS_STEP_TIMEOUT_S)
        for listener in self._listeners:
            await listener.close(NATS_STEP_TIMEOUT_S)

    async def _on_command(self, subject: str, command: Command) -> Reply:
        return await self.commands.command(subject.rsplit(".", 1)[-1], command)

    async def _spawn_pool_reply(self, msg: Msg) -> None:
        """In a task of its own, as a command is: nats-py runs a subscription's
        callbacks one at a time."""
        self.state.track(asyncio.create_task(self._on_pool(msg)))

    async def _on_pool(self, msg: Msg) -> None:
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(codec.encode(self.status.pool()))

    async def _on_heartbeat(self, subject: str, beat: Heartbeat) -> None:
        source = self.state.sources.get(beat.source)
        now = time.monotonic()
        if source is not None and source.tracker.on_heartbeat(beat, now):
            await self.status.publish(source)
            if self.state.mode == "cold":
                self.cold.check_holding(source, beat, now)

    async def _on_connection(self, subject: str, conn: Connection) -> None:
        source = self.state.sources.get(conn.source)
        if source is not None and source.tracker.on_connection(conn):
            await self.status.publish(source)
