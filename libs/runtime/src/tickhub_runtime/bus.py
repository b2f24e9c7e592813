"""The NATS connection every service uses.

nats-py's defaults suit a short-lived client, not a feed that must run for weeks:
it gives up after 60 reconnect attempts and notices a half-open TCP connection only
after two missed pings two minutes apart. Here a client reconnects forever and
declares the server gone after ~3 s of silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.client import Client

from .logs import NatsLogHandler
from .settings import Settings

log = logging.getLogger("tickhub.bus")

PING_INTERVAL_S = 1
MAX_OUTSTANDING_PINGS = 3

ErrorCallback = Callable[[Exception], Awaitable[None]]


async def connect(
    settings: Settings,
    name: str,
    *,
    connect_timeout: float = 2.0,
    first_connect_s: float = float("inf"),
    error_cb: ErrorCallback | None = None,
) -> Client:
    """Connect to NATS with tickhub's resilience settings.

    With unlimited reconnects nats-py also retries the first connection forever (every
    ``reconnect_time_wait``), so a service started before its server simply waits for
    it; ``first_connect_s`` bounds that wait for callers that must give up
    (:class:`TimeoutError`).

    ``error_cb`` takes the client's asynchronous errors in place of the default
    warning line: a high-rate subscriber counts ``SlowConsumerError`` (one per
    dropped message) rather than logging each.
    """

    async def default_error_cb(error: Exception) -> None:
        log.warning("nats error: %r", error)

    async def disconnected_cb() -> None:
        # A drain or close of our own also ends in this callback: only a loss warns.
        if nc.is_closed or nc.is_draining:
            log.info("nats connection closed")
        else:
            log.warning("nats disconnected")

    async def reconnected_cb() -> None:
        log.info("nats reconnected to %s", nc.connected_url.netloc if nc.connected_url else "?")

    nc = Client()
    options: dict[str, Any] = dict(
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=connect_timeout,
        ping_interval=PING_INTERVAL_S,
        max_outstanding_pings=MAX_OUTSTANDING_PINGS,
        # A publisher far ahead of a reconnect buffers this much before raising.
        pending_size=64 * 1024 * 1024,
        error_cb=error_cb or default_error_cb,
        disconnected_cb=disconnected_cb,
        reconnected_cb=reconnected_cb,
    )
    connecting = nc.connect(settings.resolved_nats_url, **options)
    if math.isinf(first_connect_s):
        await connecting
        return nc
    try:
        await asyncio.wait_for(connecting, first_connect_s)
    except TimeoutError:
        await nc.close()
        raise
    return nc


async def open_for_service(
    settings: Settings, service: str, *, error_cb: ErrorCallback | None = None
) -> Client:
    """Connect as ``tickhub-<service>`` and publish this process's log records on NATS."""
    nc = await connect(settings, f"tickhub-{service}", error_cb=error_cb)
    logging.getLogger().addHandler(NatsLogHandler(nc, service, asyncio.get_running_loop()))
    return nc


async def open_unless_stopped(
    settings: Settings, service: str, stop: asyncio.Event
) -> Client | None:
    """:func:`open_for_service`, or None when ``stop`` comes first.

    Connecting retries forever (a service may start before its server), so a stop
    meanwhile must still end the process rather than wait for a server that may
    never come.
    """
    connecting = asyncio.create_task(open_for_service(settings, service))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if connecting.done():
        return connecting.result()
    connecting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await connecting
    logging.getLogger(f"tickhub.{service}").info("stopped before NATS was reached")
    return None


async def drain_bounded(nc: Client, timeout_s: float = 2.0) -> None:
    """Drain ``nc``, giving up after ``timeout_s``: a frozen server must not keep a
    service (and `tickhub up`) alive."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(nc.drain(), timeout_s)
