"""The api served by a real uvicorn server on a free port (in this process, so a test
can look at the feed's clients), and a /ws client built on ``websockets``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
import websockets
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tickhub_api.feed import Feed
from tickhub_api.main import create_app
from tickhub_api.server import uvicorn_config
from tickhub_api.state import NatsLink
from tickhub_api.ws import WsTiming
from tickhub_runtime.settings import Settings

from .conftest import TOKEN, wait_for

FAST = WsTiming(auth_timeout_s=0.5, ping_s=0.5, close_timeout_s=60.0)
"""Short auth and ping periods so tests see them; a long close so a test can read a
dropped client's close code after it made it wait."""

Message = dict[str, Any]


@dataclass
class Served:
    app: FastAPI
    server: uvicorn.Server
    port: int

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def link(self) -> NatsLink:
        link: NatsLink = self.app.state.nats
        return link

    @property
    def feed(self) -> Feed:
        return self.link.feed

    def write_buffers(self) -> list[int]:
        """Bytes waiting in each connection's transport (the api's per-socket memory)."""
        return [
            connection.transport.get_write_buffer_size()
            for connection in list(self.server.server_state.connections)
            if getattr(connection, "transport", None) is not None
        ]


@asynccontextmanager
async def serving(settings: Settings, timing: WsTiming = FAST) -> AsyncIterator[Served]:
    """The api under uvicorn, configured as ``python -m tickhub_api`` configures it,
    on a port the kernel picks."""
    settings = settings.model_copy(update={"api_port": 0})
    app = create_app(settings, ws_timing=timing)
    server = uvicorn.Server(uvicorn_config(app, settings))
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started or task.done(), 30)
        assert not task.done(), "uvicorn ended at its start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Served(app, server, port)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def receive(ws: ClientConnection, within: float = 10.0) -> Message:
    message: Message = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message


async def next_of(
    ws: ClientConnection,
    kind: str,
    match: Callable[[Message], bool] = lambda _: True,
    within: float = 10.0,
) -> Message:
    """The next message of ``kind`` that ``match``es (others are skipped)."""
    deadline = time.monotonic() + within
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {kind} message within {within} s")
        message = await receive(ws, left)
        if message["type"] == kind and match(message):
            return message


async def open_feed(url: str, **options: Any) -> tuple[ClientConnection, Message]:
    """A client past authentication, with its snapshot."""
    ws = await websockets.connect(url, ping_interval=None, **options)
    await ws.send(json.dumps({"type": "auth", "token": TOKEN}))
    snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot", snapshot
    return ws, snapshot


async def close_code(ws: ClientConnection, within: float = 10.0) -> int | None:
    """Read until the server closes; the code it closed with."""
    deadline = time.monotonic() + within
    try:
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.wait_for(ws.recv(), left)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    raise TimeoutError(f"still open after {within} s")
