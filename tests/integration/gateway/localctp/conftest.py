"""Fixtures for the local CTP setup: a front started in-process on free ports, and a
protocol client that plays the stand-in library's part over a real socket.

The client records every line it receives with its arrival time; tests wait on
those with bounded timeouts (:meth:`FrontClient.wait_for`), never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.localctp import protocol
from tickhub_gateway.localctp.front.feed import SLOT_NS
from tickhub_gateway.localctp.front.replay import to_ns
from tickhub_gateway.localctp.front.server import FrontServer
from tickhub_gateway.localctp.front.settings import FrontSettings
from tickhub_gateway.localctp.protocol import DepthMarketData, Message, Value

TIMEOUT = 10.0
"""Longest wait for anything that should happen (generous for a loaded machine)."""

SETTINGS = FrontSettings(port=0, control_port=0, heartbeat_s=1, timeout_s=3)
"""The test front: free ports, a short timeout so silence tests stay short."""


@dataclass(frozen=True)
class Received:
    message: Message
    raw: bytes
    at: float
    """time.monotonic() of arrival."""
    wall_ns: int
    """time.time_ns() of arrival."""


class FrontClient:
    """The library's side of docs/ctp-front.md, in Python, for tests.

    It sends ``HB`` every ``heartbeat_s`` (None: never, to be timed out) once the
    front has said HELLO, and keeps every line received in :attr:`received`.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        heartbeat_s: float | None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.heartbeat_s = heartbeat_s
        self.received: list[Received] = []
        self.eof = asyncio.Event()
        self._changed = asyncio.Condition()
        self._tasks = [asyncio.create_task(self._read())]
        if heartbeat_s is not None:
            self._tasks.append(asyncio.create_task(self._beat(heartbeat_s)))

    @classmethod
    async def connect(cls, port: int, heartbeat_s: float | None = 1.0) -> FrontClient:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, limit=protocol.MAX_LINE + 2
        )
        return cls(reader, writer, heartbeat_s)

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readuntil(b"\n")
                received = Received(protocol.decode(line), line, time.monotonic(), time.time_ns())
                async with self._changed:
                    self.received.append(received)
                    self._changed.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.eof.set()
            async with self._changed:
                self._changed.notify_all()

    async def _beat(self, every: float) -> None:
        await self.wait_for(lambda m: m.type == protocol.HELLO)
        while not self.eof.is_set():
            self.send(protocol.HB)
            await asyncio.sleep(every)  # the client's own heartbeat period, not a wait

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    # --- sending --------------------------------------------------------------------------

    def send(self, message_type: str, fields: Iterable[tuple[str, Value]] = ()) -> None:
        if not self.writer.is_closing():
            self.writer.write(protocol.encode(message_type, list(fields)))

    # --- waiting --------------------------------------------------------------------------

    def messages(self, after: int = 0, kind: str | None = None) -> list[Message]:
        return [r.message for r in self.received[after:] if kind is None or r.message.type == kind]

    async def wait_for(
        self,
        predicate: Callable[[Message], bool],
        within: float = TIMEOUT,
        after: int = 0,
    ) -> Message:
        """The first message from index ``after`` that satisfies ``predicate``."""
        index = await self.wait_index(predicate, within, after)
        return self.received[index].message

    async def wait_index(
        self,
        predicate: Callable[[Message], bool],
        within: float = TIMEOUT,
        after: int = 0,
    ) -> int:
        seen = after
        try:
            async with asyncio.timeout(within), self._changed:
                while True:
                    for index in range(seen, len(self.received)):
                        if predicate(self.received[index].message):
                            return index
                    seen = len(self.received)
                    if self.eof.is_set():
                        raise AssertionError("the front closed the connection")
                    await self._changed.wait()
        except TimeoutError:
            kinds = [r.message.type for r in self.received[after:]][-10:]
            raise AssertionError(f"no such message within {within} s (last: {kinds})") from None

    async def wait_count(self, kind: str, count: int, after: int = 0) -> list[Message]:
        """The first ``count`` messages of ``kind`` from index ``after``."""
        await self.wait_for(lambda m: len(self.messages(after, kind)) >= count, after=after)
        return self.messages(after, kind)[:count]

    async def wait_closed(self, within: float = TIMEOUT) -> None:
        try:
            async with asyncio.timeout(within):
                await self.eof.wait()
        except TimeoutError:
            raise AssertionError(f"the front kept the connection for {within} s") from None

    async def quiet_for(self, seconds: float, after: int) -> list[Received]:
        """Watch for ``seconds``; what arrived from index ``after`` (a test expecting
        silence asserts this is empty: a bounded wait for something not to happen)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self._changed:
                while not self.eof.is_set():
                    await self._changed.wait()
        return self.received[after:]

    # --- the session ----------------------------------------------------------------------

    async def hello(self) -> Message:
        return await self.wait_for(lambda m: m.type == protocol.HELLO)

    async def login(
        self,
        password: str = SETTINGS.password,
        broker: str = SETTINGS.broker_id,
        user: str = SETTINGS.user_id,
        request_id: int = 1,
    ) -> Message:
        await self.hello()
        after = len(self.received)
        self.send(
            protocol.LOGIN,
            [("request_id", request_id), ("BrokerID", broker), ("UserID", user),
             ("Password", password), ("UserProductInfo", "tests")],
        )  # fmt: skip
        return await self.wait_for(lambda m: m.type == protocol.RSP_LOGIN, after=after)

    async def subscribe(self, *ids: str, unsubscribe: bool = False) -> int:
        """Send SUB (or UNSUB); the index of the answer with ``last=1``."""
        after = len(self.received)
        self.send(protocol.UNSUB if unsubscribe else protocol.SUB, [("ids", ",".join(ids))])
        answer = protocol.RSP_UNSUB if unsubscribe else protocol.RSP_SUB
        return await self.wait_index(
            lambda m: m.type == answer and m.get("last") == "1", after=after
        )

    async def barrier(self) -> int:
        """A round trip: everything the front wrote before answering it lies before the
        returned index (an UNSUB of something never subscribed changes nothing)."""
        return await self.subscribe("tickhub-barrier", unsubscribe=True)


def record(message: Message) -> DepthMarketData:
    assert message.type == protocol.MD, message
    return protocol.to_struct(DepthMarketData, message.fields)


def record_time(depth: DepthMarketData) -> datetime:
    """When a (non-DCE-night, non-CZCE) record happened, from its own fields."""
    day = datetime.strptime(depth.ActionDay, "%Y%m%d").date()
    clock = datetime.strptime(depth.UpdateTime, "%H:%M:%S").time()
    return datetime.combine(day, clock, CHINA_TZ) + timedelta(milliseconds=depth.UpdateMillisec)


def record_slot(depth: DepthMarketData) -> int:
    return to_ns(record_time(depth)) // SLOT_NS


# --- fixtures -----------------------------------------------------------------------------

StartFront = Callable[..., Awaitable[FrontServer]]
Connect = Callable[..., Awaitable[FrontClient]]


@pytest.fixture
async def start_front() -> AsyncIterator[StartFront]:
    """Start fronts in-process (SETTINGS with ``**changes``); all stopped afterwards."""
    fronts: list[FrontServer] = []

    async def start(**changes: Any) -> FrontServer:
        front = FrontServer(replace(SETTINGS, **changes))
        await front.start()
        fronts.append(front)
        return front

    yield start
    for front in fronts:
        await front.stop()


@pytest.fixture
async def front(start_front: StartFront) -> FrontServer:
    return await start_front()


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """Connect protocol clients; all closed afterwards."""
    clients: list[FrontClient] = []

    async def open_client(port: int, heartbeat_s: float | None = 1.0) -> FrontClient:
        client = await FrontClient.connect(port, heartbeat_s)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.close()
