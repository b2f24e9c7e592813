"""The gateway service: a GatewayManager running the pool of :mod:`.manager.pool`.

With ``TICKHUB_DATABASE_URL`` the pool is the account database, followed live; with
``TICKHUB_SOURCES`` a static list (benchmarks, rehearsal without a database). With
neither, or both, the service refuses to start, in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tickhub_accounts.crypto import SecretBox, SecretKeyError, load_secret_box
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

from .manager import GatewayManager
from .manager.manual_stops import ManualStops
from .manager.pool import DatabasePool, PoolConfigError, choose_pool

log = logging.getLogger("tickhub.gateway")


async def main(settings: Settings, stop: asyncio.Event) -> None:
    box: SecretBox | None = None
    try:
        choice = choose_pool(settings)
        if choice.database_url:
            box = load_secret_box(settings)
    except (PoolConfigError, SecretKeyError, ValueError) as error:
        # A configuration mistake: one line that says what to fix, no traceback.
        log.error("cannot start: %s", error)
        raise SystemExit(2) from None
    nc = await bus.open_unless_stopped(settings, "gateway", stop)
    if nc is None:
        return
    stops = ManualStops(nc)
    # Before the first worker starts: a source an operator stopped stays stopped. A
    # bus just back may need a moment; JetStream switched off never answers, and then
    # the pool runs without remembered stops (logged) rather than not at all.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.command_timeout_s
    while await stops.load() is None and loop.time() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)  # a retry pause a stop cuts short
        if stop.is_set():
            break
    manager = GatewayManager(settings, nc, stops)
    try:
        await manager.start()
        if choice.database_url and box is not None:
            # Tortoise's DEBUG start-up line shows part of the database password.
            logging.getLogger("tortoise").setLevel(max(logging.INFO, logging.getLogger().level))
            pool = DatabasePool(settings, manager, nc, box, choice.database_url)
            await pool.run(stop)
        else:
            await manager.apply(list(choice.static))
            names = ", ".join(c.name for c in choice.static)
            log.info("ready: static pool of TICKHUB_SOURCES: %s", names)
            await stop.wait()
    finally:
        await manager.close()
        await bus.drain_bounded(nc)
