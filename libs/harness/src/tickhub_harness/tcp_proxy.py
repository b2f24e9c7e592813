"""A TCP proxy that a test can cut: the network between a client and the hub.

``TcpProxy(target)`` listens on a free loopback port and forwards every connection to
``target`` (``tcp://HOST:PORT``), byte for byte, in both directions. ``cut()`` drops
every connection and refuses new ones (accepted, then reset at once, as a dead
route looks to ZeroMQ: it keeps retrying) until ``restore()``; nothing the target
sends after ``cut()`` reaches the client. ``retarget()`` points it at another
server (a restarted publisher on a new port). It runs on an event loop of its own in
a thread, so sync and asyncio tests use it alike; ``close()`` ends it and every
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
from typing import Any

CHUNK = 65_536


class TcpProxy:
    def __init__(self, target: str) -> None:
        self.target = _address(target)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()
        self._cut = False
        self.connections = 0
        """Connections accepted and forwarded so far (a reconnect adds one)."""
        self.thread.start()
        self._server: asyncio.base_events.Server = self._call(self._start())
        port = self._server.sockets[0].getsockname()[1]
        self.endpoint = f"tcp://127.0.0.1:{port}"
        """Where clients connect instead of ``target``."""

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=10)

    async def _start(self) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        if self._cut:  # checked once connected: a cut while connecting counts too
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self.connections += 1
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (data := await reader.read(CHUNK)) and writer in self._writers:
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.transport.abort()  # the other direction ends with it

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            # An abort, not a close: the peer sees the connection reset, as when a
            # route dies, rather than an orderly end it could mistake for one.
            writer.transport.abort()
        self._writers.clear()

    def cut(self) -> None:
        """Drop every connection and refuse new ones until :meth:`restore`."""
        self._cut = True
        self._call(self._drop_all())

    def restore(self) -> None:
        self._cut = False

    def retarget(self, target: str) -> None:
        """Forward new connections to ``target`` and drop those to the old one."""
        self.target = _address(target)
        self._call(self._drop_all())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._cut = True
            self._call(self._drop_all())
            self._server.close()
            self._call(self._server.wait_closed())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.removeprefix("tcp://").rpartition(":")
    return host, int(port)
