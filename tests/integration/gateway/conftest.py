"""Fixtures for the gateway service: real worker processes, a real manager.

Everything waits on messages with bounded timeouts (:class:`Inbox`), never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import (
    Command,
    GatewayStatus,
    PoolStatus,
    Reply,
    SimSettings,
    SourceConfig,
    Tick,
    WorkerCommand,
)
from tickhub_gateway.manager import GatewayManager, process
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

T = TypeVar("T")

CONTRACTS = ["rb2605.SHFE", "m2605.DCE", "SR605.CZCE"]
CANARY = "rb2605.SHFE"

# Generous for a loaded 2-core machine (a worker imports vnpy and nats first).
START_TIMEOUT = 30.0
TIMEOUT = 10.0


def sim(
    name: str, priority: int = 1, contracts: list[str] | None = None, **kw: Any
) -> SourceConfig:
    return SourceConfig(
        name=name,
        gateway_type="sim",
        priority=priority,
        contracts=list(CONTRACTS if contracts is None else contracts),
        canary=CANARY,
        sim=SimSettings(**kw),
    )


@dataclass
class Inbox(Generic[T]):
    """Messages of one type from one subject, awaitable by condition."""

    type_: type[T]
    items: list[tuple[str, T]] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def on_msg(self, msg: Msg) -> None:
        item = codec.decode(msg.data, self.type_)
        async with self._changed:
            self.items.append((msg.subject, item))
            self._changed.notify_all()

    @property
    def values(self) -> list[T]:
        return [item for _, item in self.items]

    async def wait_for(
        self, predicate: Callable[[T], bool], within: float = TIMEOUT, after: int = 0
    ) -> T:
        """The first message (from index ``after``) that satisfies ``predicate``."""

        def found() -> T | None:
            for _, item in self.items[after:]:
                if predicate(item):
                    return item
            return None

        async def wait() -> T:
            async with self._changed:
                while (hit := found()) is None:
                    await self._changed.wait()
                return hit

        try:
            return await asyncio.wait_for(wait(), within)
        except TimeoutError:
            tail = self.values[-5:]
            raise AssertionError(
                f"no matching {self.type_.__name__} in {within} s; last: {tail}"
            ) from None

    async def wait_count(
        self, predicate: Callable[[T], bool], count: int, within: float, after: int = 0
    ) -> list[T]:
        """At least ``count`` matching messages (from index ``after``)."""

        def hits() -> list[T]:
            return [item for _, item in self.items[after:] if predicate(item)]

        async def wait() -> list[T]:
            async with self._changed:
                while len(found := hits()) < count:
                    await self._changed.wait()
                return found

        try:
            return await asyncio.wait_for(wait(), within)
        except TimeoutError:
            got = len(hits())
            raise AssertionError(f"{got} of {count} {self.type_.__name__} in {within} s") from None


@dataclass
class TickInbox(Inbox[Tick]):
    """The ticks of batches (:class:`TickBatch`), one item per tick, each with its
    batch's subject; ``vt_symbol`` keeps one contract's only."""

    vt_symbol: str | None = None

    async def on_msg(self, msg: Msg) -> None:
        batch = codec.tick_batch_decoder.decode(msg.data)
        async with self._changed:
            for tick in batch.ticks:
                if self.vt_symbol is None or tick.vt_symbol == self.vt_symbol:
                    self.items.append((msg.subject, tick))
            self._changed.notify_all()


async def tick_inbox(nc: Client, subject: str, vt_symbol: str | None = None) -> TickInbox:
    """Every tick in the batches on ``subject`` (``tickhub.ticks.sim-a.>``)."""
    box = TickInbox(Tick, vt_symbol=vt_symbol)
    await nc.subscribe(subject, cb=box.on_msg)
    await nc.flush()
    return box


async def inbox(nc: Client, subject: str, type_: type[T]) -> Inbox[T]:
    box = Inbox(type_)
    await nc.subscribe(subject, cb=box.on_msg)
    await nc.flush()
    return box


async def ask(
    nc: Client, subject: str, message: msgspec.Struct, reply_type: type[T], within: float = TIMEOUT
) -> T:
    msg = await nc.request(subject, codec.encode(message), timeout=within)
    return codec.decode(msg.data, reply_type)


async def command(nc: Client, source: str, action: Any, **kw: Any) -> Reply:
    return await ask(nc, subjects.control(source), Command(action=action, **kw), Reply)


def pool(nc: Client, timeout: float = TIMEOUT) -> Coroutine[Any, Any, PoolStatus]:
    """Ask the manager for every source's status (``await pool(nc)``)."""

    async def ask_pool() -> PoolStatus:
        msg = await nc.request(subjects.POOL, b"", timeout=timeout)
        return codec.decode(msg.data, PoolStatus)

    return ask_pool()


def alive(pid: int) -> bool:
    """True while ``pid`` is a live, unreaped process (a zombie counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def until(condition: Callable[[], bool], within: float = TIMEOUT) -> None:
    """Poll a condition that has no message to wait on (a process disappearing)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.02)


def connected(source: str) -> Callable[[GatewayStatus], bool]:
    return lambda s: s.source == source and s.connected


@pytest.fixture
def gw_settings(settings: Settings) -> Settings:
    """The test's settings with a manager tuned for tests (same NATS, same data dir)."""
    return settings.model_copy(update={"restart_grace_s": 3.0, "status_interval_s": 2.0})


@dataclass
class Workers:
    """Worker processes started directly (no manager), killed at teardown."""

    settings: Settings
    started: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def start(self, config: SourceConfig) -> asyncio.subprocess.Process:
        proc = await process.spawn(config, self.settings)
        self.started.append(proc)
        return proc

    async def control(self, nc: Client, source: str, cmd: WorkerCommand) -> Reply:
        return await ask(nc, subjects.worker_control(source), cmd, Reply)

    async def close(self) -> None:
        for proc in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
            await process.terminate(proc, 5.0)


@pytest.fixture
async def workers(gw_settings: Settings) -> AsyncIterator[Workers]:
    pool_ = Workers(gw_settings)
    yield pool_
    await pool_.close()


@pytest.fixture
async def manager(gw_settings: Settings) -> AsyncIterator[GatewayManager]:
    """A GatewayManager on its own NATS connection, with no sources yet."""
    nc = await bus.connect(gw_settings, "test-manager")
    manager = GatewayManager(gw_settings, nc)
    await manager.start()
    yield manager
    await manager.close()
    await nc.drain()


@pytest.fixture
async def statuses(nc: Client) -> Inbox[GatewayStatus]:
    return await inbox(nc, subjects.STATUS_ALL, GatewayStatus)


@pytest.fixture
async def two_sims(
    manager: GatewayManager, statuses: Inbox[GatewayStatus]
) -> AsyncIterator[GatewayManager]:
    """The manager running sim-a (priority 1) and sim-b (priority 2), both connected."""
    await manager.apply([sim("sim-a", 1), sim("sim-b", 2)])
    for name in ("sim-a", "sim-b"):
        await statuses.wait_for(connected(name), START_TIMEOUT)
    yield manager


@pytest.fixture
def leftover_check() -> Iterator[list[int]]:
    """Pids a test expects gone by its end; asserted after teardown too."""
    pids: list[int] = []
    yield pids
    assert [pid for pid in pids if alive(pid)] == []
