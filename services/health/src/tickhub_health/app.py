"""The health service, a shell until its engine arrives: it joins the bus,
follows the gateways so it is ready to judge them, and stops cleanly."""

from __future__ import annotations

import asyncio
import logging

from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

log = logging.getLogger("tickhub.health")


async def main(settings: Settings, stop: asyncio.Event) -> None:
    nc = await bus.open_for_service(settings, "health")
    log.info("ready")
    await stop.wait()
    await nc.drain()
