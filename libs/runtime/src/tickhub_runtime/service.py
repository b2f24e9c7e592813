"""How every tickhub service process starts and stops.

A service is an ``async def main(settings, stop)`` coroutine: it sets itself up,
waits on ``stop`` and cleans up. :func:`run` gives it logging, a NATS log handler
and SIGTERM/SIGINT handling, so ``docker stop``, Ctrl-C and ``tickhub up`` all end
it the same, clean way (drain, then exit 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from . import logs
from .settings import Settings

ServiceMain = Callable[[Settings, asyncio.Event], Awaitable[None]]


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
