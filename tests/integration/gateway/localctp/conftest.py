"""Fixtures for the local CTP setup: a front started in-process on free ports, a
protocol client that plays the stand-in library's part over a real socket, and what
a child running vnpy_ctp on the stand-ins needs (the built libraries, the locale).

The client records every line it receives with its arrival time; tests wait on
those with bounded timeouts (:meth:`FrontClient.wait_for`), never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
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
CHILD_START_TIMEOUT = 60.0
"""vnpy_ctp imports vnpy; the first import on a cold machine takes a while."""

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
        api: str | None = None,
    ) -> Message:
        """LOGIN (``api="td"``: as the trading library logs in); the answer."""
        await self.hello()
        after = len(self.received)
        fields: list[tuple[str, Value]] = [("api", api)] if api else []
        self.send(
            protocol.LOGIN,
            [*fields, ("request_id", request_id), ("BrokerID", broker), ("UserID", user),
             ("Password", password), ("UserProductInfo", "tests")],
        )  # fmt: skip
        return await self.wait_for(lambda m: m.type == protocol.RSP_LOGIN, after=after)

    async def authenticate(
        self, app_id: str = "", auth_code: str = "", request_id: int = 1
    ) -> Message:
        await self.hello()
        after = len(self.received)
        self.send(
            protocol.AUTH,
            [("request_id", request_id), ("BrokerID", SETTINGS.broker_id),
             ("UserID", SETTINGS.user_id), ("AppID", app_id), ("AuthCode", auth_code)],
        )  # fmt: skip
        return await self.wait_for(lambda m: m.type == protocol.RSP_AUTH, after=after)

    async def query_instruments(
        self, request_id: int = 1, within: float = TIMEOUT, **filters: str
    ) -> list[Message]:
        """QRY_INSTRUMENT; every answer line up to the one with ``last=1``."""
        after = len(self.received)
        self.send(protocol.QRY_INSTRUMENT, [("request_id", request_id), *filters.items()])
        end = await self.wait_index(
            lambda m: m.type == protocol.RSP_QRY_INSTRUMENT and m.get("last") == "1",
            within,
            after,
        )
        return [
            r.message
            for r in self.received[after : end + 1]
            if r.message.type == protocol.RSP_QRY_INSTRUMENT
        ]

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


# --- a child process running vnpy_ctp on the stand-ins --------------------------------------


@dataclass
class Child:
    """The driver process, seen from the test."""

    process: subprocess.Popen[str]
    stderr_path: Path
    results: queue.Queue[Any] = field(default_factory=queue.Queue)
    events: list[tuple[float, str, list[Any]]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def start_reading(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            if "result" in message:
                self.results.put(message["result"])
            else:
                with self.changed:
                    self.events.append((time.monotonic(), message["event"], message["args"]))
                    self.changed.notify_all()
        self.results.put(EOFError("the child's stdout closed"))

    def call(self, name: str, *args: Any, timeout: float = TIMEOUT) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"call": name, "args": list(args)}) + "\n")
        self.process.stdin.flush()
        try:
            result = self.results.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{name}{args} did not return within {timeout} s; {self.stderr()}")
        if isinstance(result, EOFError):
            pytest.fail(f"the child ended during {name}{args}; {self.stderr()}")
        return result

    def wait(
        self, name: str, after: int = 0, timeout: float = TIMEOUT
    ) -> tuple[int, float, list[Any]]:
        """The first ``name`` event at index ``after`` or later: (index, when, args)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for index in range(after, len(self.events)):
                    when, event, args = self.events[index]
                    if event == name:
                        return index, when, args
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [event for _, event, _ in self.events[-20:]]
                    pytest.fail(
                        f"no {name} within {timeout} s; last events: {seen}; {self.stderr()}"
                    )
                self.changed.wait(left)

    def wait_count(
        self, name: str, count: int, after: int = 0, timeout: float = TIMEOUT
    ) -> list[list[Any]]:
        """The args of the first ``count`` ``name`` events at index ``after`` or later."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [args for _, event, args in self.events[after:] if event == name]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"{len(found)} {name} of {count} within {timeout} s; {self.stderr()}"
                    )
                self.changed.wait(left)

    def mark(self) -> int:
        """The index the next event will have (for :meth:`wait`'s ``after``)."""
        with self.changed:
            return len(self.events)

    def named(self, name: str) -> list[list[Any]]:
        with self.changed:
            return [args for _, event, args in self.events if event == name]

    def stderr(self) -> str:
        text = self.stderr_path.read_text(errors="replace")
        return f"child stderr: {text[-2000:]!r}"

    def quit(self) -> int:
        """Ends the child; its exit code (it must not hang)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write('{"call": "quit"}\n')
            self.process.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            return self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the child did not end within {TIMEOUT} s; {self.stderr()}")


def spawn_child(script: Path, workdir: Path, standin_dir: Path, extra_env: dict[str, str]) -> Child:
    """``script`` run as a driver child in ``workdir``, with the stand-ins' directory
    first on ``LD_LIBRARY_PATH`` (the loader reads it only at process start) and
    ``extra_env`` (the locale): vnpy_ctp's extensions load the stand-ins."""
    (workdir / ".vntrader").mkdir(parents=True)  # vnpy keeps its files here, not in ~
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    env |= extra_env
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in [str(standin_dir), os.environ.get("LD_LIBRARY_PATH", "")] if p
    )
    # The script imports its test helpers as the tests do: from the repository's root.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(Path(__file__).resolve().parents[4]), env.get("PYTHONPATH", "")] if p
    )
    stderr_path = workdir / "stderr.txt"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(script.resolve())],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    child = Child(process, stderr_path)
    child.start_reading()
    return child


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def standin_dir() -> Path:
    """The built libraries' directory; built here when missing."""
    from tickhub_gateway.localctp import standin
    from tickhub_gateway.localctp.standin import build

    if not standin.built():
        try:
            build.compiler()
        except build.BuildError as error:
            pytest.skip(f"the stand-in library is not built, and cannot be: {error}")
        root = Path(__file__).resolve().parents[4]
        done = subprocess.run(
            [sys.executable, "-m", "tickhub_gateway.localctp.standin.build"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"building the stand-in failed: {done.stderr}"
    return standin.library_dir()


def _locale_loads(name: str) -> bool:
    libc = ctypes.CDLL(None)
    libc.newlocale.restype = ctypes.c_void_p
    libc.newlocale.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p]
    libc.freelocale.argtypes = [ctypes.c_void_p]
    handle = libc.newlocale(1 << 0, name.encode(), None)  # LC_CTYPE_MASK is enough
    if handle:
        libc.freelocale(handle)
    return bool(handle)


@pytest.fixture(scope="session")
def gb18030_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What the child needs for vnpy_ctp's ``std::locale("zh_CN.GB18030")`` (it aborts
    at the first text without it): nothing where the system has the locale, else a
    ``LOCPATH`` with it (the integration suite's, or compiled here)."""
    name = "zh_CN.GB18030"
    if _locale_loads(name):
        return {}
    shared = os.environ.get("TICKHUB_CTP_LOCALE_DIR")
    if shared and (Path(shared) / name / "LC_CTYPE").is_file():
        return {"LOCPATH": shared}
    localedef = shutil.which("localedef")
    if localedef is None:
        pytest.skip(f"no {name} locale and no localedef to build it (apt-get install locales)")
    directory = tmp_path_factory.mktemp("locale")
    subprocess.run(
        [localedef, "-c", "-i", "zh_CN", "-f", "GB18030", str(directory / name)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if not (directory / name / "LC_CTYPE").is_file():
        pytest.skip(f"localedef could not build {name}")
    return {"LOCPATH": str(directory)}


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
