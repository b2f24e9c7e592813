"""The gateway service: a GatewayManager fed from settings (until the account
database takes over in the next issue)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec

from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

from .manager import GatewayManager

log = logging.getLogger("tickhub.gateway")


async def main(settings: Settings, stop: asyncio.Event) -> None:
    try:
        configs = settings.source_configs
    except (ValueError, msgspec.MsgspecError) as error:
        log.error("TICKHUB_SOURCES is not a valid source list: %s", error)
        raise SystemExit(2) from None
    nc = await bus.open_for_service(settings, "gateway")
    manager = GatewayManager(settings, nc)
    try:
        await manager.start()
        await manager.apply(configs)
        log.info("ready: %s", ", ".join(c.name for c in configs) or "no sources")
        await stop.wait()
    finally:
        await manager.close()
        # Bounded: a frozen server must not keep the service (and `tickhub up`) alive.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.drain(), 2.0)
