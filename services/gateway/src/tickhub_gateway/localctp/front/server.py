"""The front: listens, runs one :class:`~.connection.Connection` per client (market-data
and trading sessions alike, on the one port), fans the feed's bursts out to every
logged-in client by its subscriptions, and takes faults and settings on command.

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
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.logs import get_logger

from .. import protocol
from ..protocol import encode, struct_fields
from .connection import Connection, Counters, Shared
from .control import CONTROL_HOST, ControlServer
from .faults import Faults
from .feed import Burst, Feed, SimMarket, SimRecordFeed
from .instruments import InstrumentList
from .login import ClientAuth, Credentials
from .replay import ReplayFeed, load
from .settings import FrontSettings, parse_trading_day

log = get_logger(__name__)

STOP_WAIT_S = 2.0
"""How long stop() lets the connections' tasks end after their sockets are closed."""
STATUS_SUBSCRIPTIONS = 1_000
"""Beyond this many, ``status`` counts subscriptions instead of naming them."""


def make_feed(
    settings: FrontSettings, listed: Callable[[], Mapping[str, str]] | None = None
) -> Feed:
    """The sim feed, or the replay of ``settings.replay`` (ReplayError if unreadable).
    The sim also ticks what ``listed`` names (instrument id -> exchange), once
    subscribed, up to ``settings.max_sim_instruments`` in all."""
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
    market = SimMarket(
        settings.contracts,
        settings.seed,
        listed=listed,
        max_instruments=settings.max_sim_instruments,
    )
    return SimRecordFeed(market, delay_ms=settings.delay_ms)


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
        self.instruments = InstrumentList(
            options=settings.options, file=settings.instruments_file
        )  # OSError / ValueError for an unreadable file
        self.feed = feed if feed is not None else make_feed(settings, self._listed_today)
        self.faults = Faults()
        self.counters = Counters()
        self.shared = Shared(
            settings=settings,
            faults=self.faults,
            feed=self.feed,
            credentials=Credentials(settings.broker_id, settings.user_id, settings.password),
            counters=self.counters,
            clock=clock or (lambda: datetime.now(CHINA_TZ)),
            instruments=self.instruments,
            client_auth=ClientAuth(settings.app_id, settings.auth_code),
            fixed_trading_day=settings.trading_day,
            max_subscribe_per_s=settings.max_subscribe_per_s,
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

    def _listed_today(self) -> Mapping[str, str]:
        return self.instruments.exchange_of(self.shared.trading_day())

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

    def set_trading_day(self, text: str) -> dict[str, Any]:
        """``auto`` (the clock's), or a day (``2026-03-10``): the trading day logins
        report and the instrument list is of, from now on. ValueError if it is bad."""
        shared = self.shared
        if text.strip().lower() == "auto":
            shared.fixed_trading_day = None
        else:
            shared.fixed_trading_day = parse_trading_day(text)
        day = shared.trading_day()
        log.warning("trading day %s%s", day.isoformat(),
                    "" if shared.fixed_trading_day else " (the clock's)")  # fmt: skip
        return self.trading_day_state()

    def trading_day_state(self) -> dict[str, Any]:
        day: date = self.shared.trading_day()
        return {
            "trading_day": day.isoformat(),
            "fixed": self.shared.fixed_trading_day is not None,
            "instruments": self.instruments.count(day),
        }

    def set_pace(self, text: str) -> dict[str, Any]:
        """``off``, or the most instruments a connection may subscribe within a second
        (more: it is dropped). ValueError if it is bad."""
        text = text.strip().lower()
        if text in ("off", "none", "0"):
            limit: int | None = None
        elif text.isdigit():
            limit = int(text)
        else:
            raise ValueError(f"pace {text!r} is neither a positive number nor off")
        self.shared.max_subscribe_per_s = limit
        log.warning("subscription pace limit: %s", f"{limit} per second" if limit else "off")
        return self.pace_state()

    def pace_state(self) -> dict[str, Any]:
        return {"max_subscribe_per_s": self.shared.max_subscribe_per_s}

    def status(self) -> dict[str, Any]:
        sessions = [
            {
                "session": c.session_id,
                "peer": c.peer,
                "api": c.api,
                "broker": c.broker_id,
                "user": c.user_id,
                "subscriptions": len(c.subscriptions)
                if len(c.subscriptions) > STATUS_SUBSCRIPTIONS
                else sorted(c.subscriptions),
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
            "subscriptions": dict(sorted(subscribed.items()))
            if len(subscribed) <= STATUS_SUBSCRIPTIONS
            else len(subscribed),
            "records_sent": counters.records_sent,
            "accepted": counters.accepted,
            "refused": counters.refused,
            "logins_ok": counters.logins_ok,
            "logins_rejected": counters.logins_rejected,
            "snapshots_replayed": counters.snapshots_replayed,
            "replays": [list(replay) for replay in counters.replays],
            **self.trading_day_state(),
            "instrument_list": self.instruments.describe(),
            **self.pace_state(),
            "floods_dropped": counters.floods_dropped,
            "auths_ok": counters.auths_ok,
            "auths_rejected": counters.auths_rejected,
            "instrument_queries": counters.instrument_queries,
            "instruments_sent": counters.instruments_sent,
        }
