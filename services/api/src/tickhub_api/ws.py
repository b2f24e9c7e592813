"""``/ws``: the dashboard's live feed (protocol: docs/ws.md).

A client authenticates (``Authorization`` header, or its first message within
``auth_timeout_s``), gets a snapshot, then every event :class:`~.feed.Feed` fans out,
and a ``ping`` every ``ping_s``. Three things end a connection: the client goes
(close or lost TCP), the feed drops it for falling behind (4408), or the api stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from tickhub_runtime.logs import get_logger

from . import wire
from .feed import CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, Subscriber
from .gateway_view import GatewayView
from .guard import WS_PATH, token_equals, token_matches
from .state import NatsLink
from .views import all_views

log = get_logger("tickhub.api.ws")

CLOSE_UNAUTHORIZED = 4401


@dataclass(frozen=True)
class WsTiming:
    auth_timeout_s: float = 5.0
    """How long a client may take to send its auth message."""
    ping_s: float = 10.0
    """A ``ping`` this often, so a client notices a dead connection."""
    close_timeout_s: float = 5.0
    """How long closing a dropped client may wait for room in its socket's buffer (a
    client that reads nothing never makes room: the connection is then just ended)."""


router = APIRouter()


def _peer(websocket: WebSocket) -> str:
    client = websocket.client
    return f"{client.host}:{client.port}" if client else "?"


async def _authenticate(websocket: WebSocket, token: bytes, timeout_s: float) -> bool | None:
    """True: the right token. False: a wrong or missing one (the caller closes with
    4401). None: the client went away meanwhile."""
    header = websocket.headers.get("authorization")
    if header is not None:
        return token_matches(header, token)
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout_s)
    except TimeoutError:
        return False
    if message["type"] == "websocket.disconnect":
        return None
    try:
        body = json.loads(message.get("text") or "")
    except ValueError:
        return False
    given = body.get("token") if isinstance(body, dict) and body.get("type") == "auth" else None
    return isinstance(given, str) and token_equals(given, token)


async def _gateways(websocket: WebSocket, link: NatsLink) -> tuple[list[GatewayView], str]:
    """The views of ``GET /api/gateways`` and the database's state: without a
    database the snapshot still carries everything the bus gives."""
    app = websocket.app
    if app.state.db is None:
        return [], "not configured"
    settings = app.state.settings
    try:
        views = await asyncio.wait_for(all_views(link.board, settings), settings.database_timeout_s)
    except TimeoutError:
        return [], "timeout"
    except Exception as error:  # asyncpg, Tortoise, OSError: the snapshot goes out anyway
        log.warning("snapshot without gateways: the database failed (%s)", type(error).__name__)
        return [], "unreachable"
    return views, "ok"


def _nats(link: NatsLink) -> str:
    return "ok" if link.connected else "unreachable"


async def _snapshot(websocket: WebSocket, link: NatsLink) -> str:
    gateways, database = await _gateways(websocket, link)
    board = link.board
    return wire.snapshot(
        at=datetime.now(UTC),
        nats=_nats(link),
        database=database,
        gateways=gateways,
        health=board.healths.values(),
        routes=board.route_table.values(),
        failovers=board.failovers,
        restarts=board.restarts,
        logs=board.logs,
    )


async def _send_queued(websocket: WebSocket, subscriber: Subscriber) -> None:
    # A plain get(): it wakes within one loop iteration of a put, the same iteration
    # the feed yields for after each message, so a client that keeps up never has
    # more than one message waiting.
    while True:
        await websocket.send_text(await subscriber.queue.get())


async def _ping(subscriber: Subscriber, link: NatsLink, ping_s: float) -> None:
    """A ping through the client's queue, in order with the events; one that finds
    the queue full drops the client as an event would (on a quiet bus, too)."""
    while True:
        await asyncio.sleep(ping_s)
        link.feed.offer(subscriber, wire.ping(datetime.now(UTC), _nats(link)))


async def _receive_until_gone(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes. Reading also keeps
    uvicorn from pausing the socket, which would hide a close from us."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _serve(
    websocket: WebSocket, subscriber: Subscriber, link: NatsLink, timing: WsTiming
) -> None:
    tasks = {
        asyncio.create_task(_send_queued(websocket, subscriber)),
        asyncio.create_task(_ping(subscriber, link, timing.ping_s)),
        asyncio.create_task(_receive_until_gone(websocket)),
        dropped := asyncio.create_task(subscriber.dropped.wait()),
    }
    failure: BaseException | None = None
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        for task in tasks:
            # A send that failed because the client went is the client going; any
            # other failure is a bug, raised below.
            error = None if task.cancelled() else task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect | OSError):
                failure = error
    if failure is not None:
        raise failure
    if dropped.done() and not dropped.cancelled() and subscriber.close_code is not None:
        # Bounded: the close frame waits behind whatever fills the socket's buffer.
        with contextlib.suppress(TimeoutError, WebSocketDisconnect, RuntimeError, OSError):
            await asyncio.wait_for(
                websocket.close(subscriber.close_code, _reason(subscriber.close_code)),
                timing.close_timeout_s,
            )


def _reason(code: int) -> str:
    return {CLOSE_TOO_SLOW: "too slow", CLOSE_GOING_AWAY: "api stopping"}.get(code, "")


@router.websocket(WS_PATH)
async def live_feed(websocket: WebSocket) -> None:
    app = websocket.app
    link: NatsLink = app.state.nats
    timing: WsTiming = app.state.ws_timing
    peer = _peer(websocket)
    await websocket.accept()
    authorized = await _authenticate(websocket, app.state.guard_token, timing.auth_timeout_s)
    if authorized is None:
        return
    if not authorized:
        log.warning("refused /ws from %s: wrong or no token", peer)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await websocket.close(CLOSE_UNAUTHORIZED, "unauthorized")
        return
    # Joined before the snapshot is read: nothing that happens meanwhile is missed
    # (an event already in the snapshot may come once more; applying it is harmless).
    subscriber = link.feed.join(peer)
    log.info("/ws client %d (%s) connected", subscriber.number, peer)
    try:
        await websocket.send_text(await _snapshot(websocket, link))
        await _serve(websocket, subscriber, link, timing)
    except (WebSocketDisconnect, OSError):
        pass  # the client went while we sent
    finally:
        link.feed.leave(subscriber)
        log.info("/ws client %d (%s) gone", subscriber.number, peer)
