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
from typing import Any, TypeVar

from nats.aio.client import Client

from .logs import NatsLogHandler
from .settings import Settings

log = logging.getLogger("tickhub.bus")

PING_INTERVAL_S = 1
MAX_OUTSTANDING_PINGS = 3

ErrorCallback = Callable[[Exception], Awaitable[None]]

T = TypeVar("T")


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
    settings: Settings,
    service: str,
    *,
    error_cb: ErrorCallback | None = None,
    name: str | None = None,
) -> Client:
    """Connect as ``tickhub-<service>`` (or ``name``: a gateway worker names its
    source) and publish this process's log records on NATS as ``service``."""
    nc = await connect(settings, name or f"tickhub-{service}", error_cb=error_cb)
    logging.getLogger().addHandler(NatsLogHandler(nc, service, asyncio.get_running_loop()))
    return nc


async def open_unless_stopped(
    settings: Settings,
    service: str,
    stop: asyncio.Event,
    *,
    name: str | None = None,
    error_cb: ErrorCallback | None = None,
    service_logs: bool = True,
) -> Client | None:
    """:func:`open_for_service`, or None when ``stop`` comes first.

    Connecting retries forever (a service may start before its server), so a stop
    meanwhile must still end the process rather than wait for a server that may
    never come.

    ``name`` is the connection's name (default ``tickhub-<service>``), ``error_cb``
    takes the client's asynchronous errors (see :func:`connect`); with
    ``service_logs=False`` the log records stay off NATS (an embedded use, a test).
    """
    connecting: Awaitable[Client]
    if service_logs:
        connecting = open_for_service(settings, service, error_cb=error_cb, name=name)
    else:
        connecting = connect(settings, name or f"tickhub-{service}", error_cb=error_cb)
    nc = await unless_stopped(connecting, stop)
    if nc is None:
        logging.getLogger(f"tickhub.{service}").info("stopped before NATS was reached")
    return nc


async def unless_stopped(
    work: Awaitable[T], stop: asyncio.Event, *, cancel_s: float = 2.0
) -> T | None:
    """``work``'s result, or None when ``stop`` is set first (``work`` is cancelled).

    For anything that may wait for the bus forever: a connect, or a service's start
    that connects (the publisher's binds its socket, then connects). A stop during
    that wait must end the process, not leave it waiting for a server that may
    never come.

    Bounded: nats-py can swallow a cancellation inside a request, so the cancelled
    work is waited for at most ``cancel_s``. Should it finish anyway with a result
    (a connection made at the very moment of the stop), that result is returned
    rather than leaked: ``stop`` is set, so the caller goes straight on to its
    cleanup. The same cleanup happens when the caller itself is cancelled.
    An awaitable that returns None itself cannot tell the two outcomes apart:
    look at ``stop.is_set()``.
    """
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieve)  # an outcome nobody awaits must not be logged as lost
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=cancel_s)
            if not task.done():
                log.warning("work cut short by a stop did not end within %g s", cancel_s)
    if not task.done() or task.cancelled():
        return None
    if stop.is_set() and task.exception() is not None:
        return None  # it failed on its way out: a stop came first, nothing to report
    return task.result()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Fetch a task's outcome, so asyncio does not log an abandoned one as unretrieved."""
    if not task.cancelled():
        task.exception()


async def drain_bounded(nc: Client, timeout_s: float = 2.0) -> None:
    """Drain ``nc``, giving up after ``timeout_s``: a frozen server must not keep a
    service (and `tickhub up`) alive."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(nc.drain(), timeout_s)
