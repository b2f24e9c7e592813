"""How every tickhub service process starts and stops.

A service is an ``async def main(settings, stop)`` coroutine: it sets itself up,
waits on ``stop`` and cleans up. :func:`run` gives it logging, a NATS log handler
and SIGTERM/SIGINT handling, so ``docker stop``, Ctrl-C and ``tickhub up`` all end
it the same, clean way (drain, then exit 0).

Most services are the same ``main`` around one object: connect (unless stopped
first), build the service on the connection, start it, wait for the stop, close it,
drain the connection. :func:`run_on_bus` is that whole process, so a service's
``__main__`` is ``service.run_on_bus("health", HealthService)``; :func:`on_bus` is
its ``main`` alone (tests, a custom :func:`run`), and :func:`run_until_stopped` the
middle part, for a service that makes its own connection (the publisher).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Protocol

from nats.aio.client import Client

from . import bus, logs
from .settings import Settings

ServiceMain = Callable[[Settings, asyncio.Event], Awaitable[None]]


class Lifecycle(Protocol):
    """What :func:`run_until_stopped` drives: a service object that starts and closes."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


BusService = Callable[[Settings, Client], Lifecycle]
"""Builds the service on its connection: the class itself (``HealthService``)."""


def run(service: str, main: ServiceMain, settings: Settings | None = None) -> None:
    settings = settings or Settings()
    logs.configure(service, settings.log_level)
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C during shutdown
        asyncio.run(_serve(service, main, settings))


async def _serve(service: str, main: ServiceMain, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log = logging.getLogger(f"tickhub.{service}")
    log.info("starting (nats %s)", settings.resolved_nats_url)
    await main(settings, stop)
    log.info("stopped")


async def run_until_stopped(part: Lifecycle, stop: asyncio.Event) -> None:
    """Start ``part``, wait for ``stop``, close ``part``.

    A stop during the start cuts it short (a start may wait for the bus); ``close``
    runs whatever happened (a start that failed or was cut short included), so the
    service's own cleanup is the one place a process ends. An exception of
    ``start`` goes on to the caller after the close.
    """
    try:
        await bus.unless_stopped(part.start(), stop)
        await stop.wait()
    finally:
        await part.close()


async def serve_on_bus(
    service: str,
    make: BusService,
    settings: Settings,
    stop: asyncio.Event,
    *,
    name: str | None = None,
    error_cb: bus.ErrorCallback | None = None,
    drain_s: float = 2.0,
) -> None:
    """The whole life of a service on NATS: connect as ``service`` unless stopped
    first (:func:`bus.open_unless_stopped`: logs go out on NATS too), build it with
    ``make(settings, nc)``, :func:`run_until_stopped`, drain the connection
    (bounded by ``drain_s``: a frozen server must not keep the process alive) and
    take its log handler off again."""
    nc = await bus.open_unless_stopped(settings, service, stop, name=name, error_cb=error_cb)
    if nc is None:
        return
    try:
        await run_until_stopped(make(settings, nc), stop)
    finally:
        await bus.drain_bounded(nc, drain_s)
        # Its log handler goes with the connection (a process that serves again, a test).
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, logs.NatsLogHandler) and handler.nc is nc:
                root.removeHandler(handler)


def on_bus(
    service: str,
    make: BusService,
    *,
    name: str | None = None,
    error_cb: bus.ErrorCallback | None = None,
) -> ServiceMain:
    """The ``main(settings, stop)`` of :func:`serve_on_bus` for ``service``: what a
    service's ``app.main`` is (``main = service.on_bus("health", HealthService)``)."""

    async def main(settings: Settings, stop: asyncio.Event) -> None:
        await serve_on_bus(service, make, settings, stop, name=name, error_cb=error_cb)

    return main


def run_on_bus(service: str, make: BusService, settings: Settings | None = None) -> None:
    """Run ``service`` as a process (:func:`run` of :func:`on_bus`): the one line of
    a service's ``__main__``."""
    run(service, on_bus(service, make), settings)
