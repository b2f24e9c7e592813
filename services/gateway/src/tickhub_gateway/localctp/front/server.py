"""The front: listens, runs one :class:`~.connection.Connection` per client, fans the
feed's bursts out to every logged-in client by its subscriptions, and takes faults.

Each burst is encoded once per record and written to every connection that
subscribed the instrument, in one pass on the event loop, so every client sees a
slot's records together (like a real front's snapshot burst) and in the same
order. The server holds no per-process state that could reach a record: two
fronts with the same feed settings send the same bytes of market data.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.logs import get_logger

from .. import protocol
from ..protocol import encode, struct_fields
from .connection import Connection, Counters, Shared
from .control import CONTROL_HOST, ControlServer
from .faults import Faults
from .feed import Burst, Feed, SimMarket, SimRecordFeed
from .login import Credentials
from .replay import ReplayFeed, load
from .settings import FrontSettings

log = get_logger(__name__)

STOP_WAIT_S = 2.0
"""How long stop() lets the connections' tasks end after their sockets are closed."""


def make_feed(settings: FrontSettings) -> Feed:
    """The sim feed, or the replay of ``settings.replay`` (ReplayError if unreadable)."""
    if settings.replay is not None:
        rows = load(settings.replay, settings.instruments)
        return ReplayFeed(
            rows,
            speed=settings.speed,
            restamp=settings.restamp,
            start_ns=settings.start_at_ns,
            delay_ms=settings.delay_ms,
            name=str(settings.replay),
        )
    return SimRecordFeed(SimMarket(settings.contracts, settings.seed), delay_ms=settings.delay_ms)


class FrontServer:
    """One local CTP market-data front; ``await start()``, ``await stop()``."""

    def __init__(
        self,
        settings: FrontSettings,
        feed: Feed | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.feed = feed if feed is not None else make_feed(settings)
        self.faults = Faults()
        self.counters = Counters()
        self.shared = Shared(
            settings=settings,
            faults=self.faults,
            feed=self.feed,
            credentials=Credentials(settings.broker_id, settings.user_id, settings.password),
            counters=self.counters,
            clock=clock or (lambda: datetime.now(CHINA_TZ)),
        )
        self.connections: dict[int, Connection] = {}
        self.port = 0
        self.control_port = 0
        self._sessions = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._control = ControlServer(self)
        self._feed_task: asyncio.Task[None] | None = None
        self._client_tasks: set[asyncio.Task[Any]] = set()

    @property
    def address(self) -> str:
        return f"tcp://{self.settings.host}:{self.port}"

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on both ports and start the feed; OSError if a port is taken."""
        settings = self.settings
        self._server = await asyncio.start_server(
            self._accept, settings.host, settings.port, limit=protocol.MAX_LINE + 2
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        try:
            self.control_port = await self._control.start(settings.resolved_control_port)
        except OSError:
            self._server.close()
            await self._server.wait_closed()
            raise
        self._feed_task = asyncio.create_task(self._fan_out(), name="ctp-front-feed")
        log.info(
            "listening on %s (control %s:%d): %s; broker %s user %s",
            self.address,
            CONTROL_HOST,
            self.control_port,
            self.feed.describe(),
            settings.broker_id,
            settings.user_id,
        )

    async def stop(self) -> None:
        """Stop listening, close every connection, end every task of the front."""
        if self._server is not None:
            self._server.close()
        await self._control.stop()
        if self._feed_task is not None:
            self._feed_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feed_task
            self._feed_task = None
        for connection in list(self.connections.values()):
            connection.close("front stopping")
        tasks = set(self._client_tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
            log.info("stopped")

    # --- clients --------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.faults.refusing:
            self.counters.refused += 1
            peer = writer.get_extra_info("peername")
            log.info("connection from %s refused (fault refuse)", peer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        task = asyncio.current_task()
        assert task is not None  # start_server runs this callback as a task
        self._client_tasks.add(task)
        session_id = next(self._sessions)
        connection = Connection(self.shared, reader, writer, session_id)
        self.connections[session_id] = connection
        self.counters.accepted += 1
        log.info("connection accepted from %s", connection.describe())
        try:
            await connection.serve()
        finally:
            self.connections.pop(session_id, None)
            self._client_tasks.discard(task)

    async def _fan_out(self) -> None:
        try:
            async for burst in self.feed.bursts():
                self.send_burst(burst)
        except Exception:
            log.exception("the feed failed: no more market data from this front")
            raise

    def send_burst(self, burst: Burst) -> int:
        """Send a burst to everyone subscribed; the number of records sent."""
        faults = self.faults
        if faults.silenced or faults.stalled:
            return 0
        listeners = [c for c in self.connections.values() if c.logged_in and c.subscriptions]
        wanted: set[str] = set()
        for connection in listeners:
            wanted |= connection.subscriptions
        if not wanted:
            return 0
        sent = 0
        # Sorted: the same order in every process, whatever the subscription history.
        for record in burst.records(sorted(wanted)):
            line = encode(protocol.MD, struct_fields(record))
            instrument = record.InstrumentID
            for connection in listeners:
                if instrument in connection.subscriptions and connection.send(line):
                    sent += 1
        self.counters.records_sent += sent
        return sent

    # --- faults and status -------------------------------------------------------------

    def drop(self) -> int:
        """Close every client connection now; how many were open."""
        connections = list(self.connections.values())
        for connection in connections:
            connection.close("dropped (fault drop)")
        return len(connections)

    def set_fault(self, kind: str) -> dict[str, Any]:
        """Apply ``drop``, a fault state or ``clear``; what happened, as JSON-ready data.
        ValueError for an unknown kind."""
        result: dict[str, Any] = {"fault": kind}
        if kind == "drop":
            result["dropped"] = self.drop()
            log.warning("fault drop: %d connection(s) closed", result["dropped"])
        elif kind == "clear":
            result["cleared"] = self.faults.clear()
            log.warning("faults cleared: %s", ", ".join(result["cleared"]) or "none were active")
        else:
            result["changed"] = self.faults.set(kind)
            log.warning("fault set: %s%s", kind, "" if result["changed"] else " (already set)")
        result["faults"] = sorted(self.faults.active)
        return result

    def status(self) -> dict[str, Any]:
        sessions = [
            {
                "session": c.session_id,
                "peer": c.peer,
                "broker": c.broker_id,
                "user": c.user_id,
                "subscriptions": sorted(c.subscriptions),
            }
            for c in self.connections.values()
        ]
        subscribed: Counter[str] = Counter()
        for connection in self.connections.values():
            if connection.logged_in:
                subscribed.update(connection.subscriptions)
        counters = self.counters
        return {
            "front": self.address,
            "control": f"{CONTROL_HOST}:{self.control_port}",
            "feed": self.feed.describe(),
            "faults": sorted(self.faults.active),
            "connections": len(sessions),
            "sessions": sessions,
            "logged_in": [c.user_id for c in self.connections.values() if c.logged_in],
            "subscriptions": dict(sorted(subscribed.items())),
            "records_sent": counters.records_sent,
            "accepted": counters.accepted,
            "refused": counters.refused,
            "logins_ok": counters.logins_ok,
            "logins_rejected": counters.logins_rejected,
            "snapshots_replayed": counters.snapshots_replayed,
            "replays": [list(replay) for replay in counters.replays],
        }
