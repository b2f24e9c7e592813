"""The bus, watched: one NATS client of the harness writing down every health verdict,
failover, restart, status, heartbeat and connection with its arrival time, and the
routing bucket as it is now, so that a test waits on a message (never on a sleep) and
measures how long something took."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    Command,
    Connection,
    ContractRoute,
    FailoverEvent,
    GatewayStatus,
    Heartbeat,
    Reply,
    RestartEvent,
    SourceHealth,
)
from tickhub_runtime import bus
from tickhub_runtime.kv import Mirror
from tickhub_runtime.settings import Settings

from .failover_recorder import ns_of

T = TypeVar("T")


def now_ns() -> int:
    return time.time_ns()


@dataclass(frozen=True, slots=True)
class Seen(Generic[T]):
    at_ns: int
    """The watcher's wall clock at receipt."""
    subject: str
    value: T


@dataclass
class Feed(Generic[T]):
    """Every message of one kind, in arrival order, awaitable by condition."""

    type_: type[T]
    items: list[Seen[T]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def add(self, subject: str, value: T) -> None:
        async with self.changed:
            self.items.append(Seen(now_ns(), subject, value))
            self.changed.notify_all()

    def find(self, predicate: Callable[[T], bool], after_ns: int = 0) -> list[Seen[T]]:
        return [s for s in self.items if s.at_ns >= after_ns and predicate(s.value)]

    async def wait(
        self, predicate: Callable[[T], bool], within: float, after_ns: int = 0, what: str = ""
    ) -> Seen[T]:
        """The first message at or after ``after_ns`` that satisfies ``predicate``."""

        async def first() -> Seen[T]:
            async with self.changed:
                while not (hits := self.find(predicate, after_ns)):
                    await self.changed.wait()
                return hits[0]

        try:
            return await asyncio.wait_for(first(), within)
        except TimeoutError:
            tail = [s.value for s in self.items[-4:]]
            raise AssertionError(
                f"no {what or self.type_.__name__} within {within} s; last: {tail}"
            ) from None


class BusWatch:
    """One NATS client of the harness (reconnecting forever, like the services'),
    writing down what the hub says about itself."""

    def __init__(self, settings: Settings, *, ticks: bool = False) -> None:
        self.settings = settings
        self.ticks_wanted = ticks
        self.health: Feed[SourceHealth] = Feed(SourceHealth)
        self.failovers: Feed[FailoverEvent] = Feed(FailoverEvent)
        self.restarts: Feed[RestartEvent] = Feed(RestartEvent)
        self.statuses: Feed[GatewayStatus] = Feed(GatewayStatus)
        self.heartbeats: Feed[Heartbeat] = Feed(Heartbeat)
        self.connections: Feed[Connection] = Feed(Connection)
        self.routes: Feed[ContractRoute] = Feed(ContractRoute)
        """Every routing change the bucket showed (a deletion is not listed)."""
        self.routing: dict[str, ContractRoute] = {}
        """The routing bucket now, by vt_symbol."""
        self.ticks: list[tuple[int, str, int, float]] = []
        """(arrival ns, source, exchange ns, volume) of every tick on NATS (``ticks=True``)."""
        self.pids: set[int] = set()
        self.nc: Client | None = None
        self._mirror: Mirror[ContractRoute] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> BusWatch:
        self._loop = asyncio.get_running_loop()
        nc = self.nc = await bus.connect(self.settings, "ha-harness")
        feeds: list[tuple[str, Feed[Any]]] = [
            (subjects.HEALTH_ALL, self.health),
            (subjects.FAILOVER_EVENT, self.failovers),
            (subjects.RESTART_ALL, self.restarts),
            (subjects.STATUS_ALL, self.statuses),
            (subjects.HEARTBEAT_ALL, self.heartbeats),
            (subjects.CONNECTION_ALL, self.connections),
        ]
        for subject, feed in feeds:
            await nc.subscribe(subject, cb=self._taker(feed))
        if self.ticks_wanted:
            await nc.subscribe(subjects.TICKS_ALL, cb=self._on_batch)
        await nc.flush()
        self._mirror = Mirror(
            nc, buckets.ROUTING, lambda raw: codec.decode(raw, ContractRoute),
            on_change=self._on_route,
        )  # fmt: skip
        self._mirror.start()
        return self

    def _taker(self, feed: Feed[Any]) -> Callable[[Msg], Any]:
        async def take(msg: Msg) -> None:
            try:
                value = codec.decode(msg.data, feed.type_)
            except msgspec.MsgspecError:
                return
            pid = getattr(value, "pid", None)
            if isinstance(pid, int):
                self.pids.add(pid)
            await feed.add(msg.subject, value)

        return take

    async def _on_batch(self, msg: Msg) -> None:
        parsed = subjects.parse_ticks(msg.subject)
        if parsed is None:
            return
        arrived = now_ns()
        for tick in codec.tick_batch_decoder.decode(msg.data).ticks:
            self.ticks.append((arrived, parsed.source, ns_of(tick.datetime), tick.volume))

    def _on_route(self, key: str, route: ContractRoute | None) -> None:
        vt_symbol = buckets.routing_vt_symbol(key)
        if route is None:
            self.routing.pop(vt_symbol, None)
            return
        self.routing[vt_symbol] = route
        self._spawn(self.routes.add(key, route))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    # --- questions -----------------------------------------------------------------------

    def latest_health(self, source: str) -> SourceHealth | None:
        hits = self.health.find(lambda h: h.source == source)
        return hits[-1].value if hits else None

    def worker_pid(self, source: str) -> int | None:
        """The newest worker pid of ``source`` the bus showed (heartbeat or status)."""
        pids = [(s.at_ns, s.value.pid) for s in self.heartbeats.items if s.value.source == source]
        pids += [
            (s.at_ns, s.value.pid)
            for s in self.statuses.items
            if s.value.source == source and s.value.pid is not None
        ]
        newest = max(pids, default=None)
        return None if newest is None else newest[1]

    async def command(self, source: str, command: Command, within: float = 5.0) -> Reply:
        assert self.nc is not None
        msg = await self.nc.request(subjects.control(source), codec.encode(command), timeout=within)
        return codec.decode(msg.data, Reply)

    async def close(self) -> None:
        if self._mirror is not None:
            await self._mirror.close()
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 5)
