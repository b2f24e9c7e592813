"""``tickhub ctp-front`` in the foreground: start, say where, serve until a signal.

SIGINT, SIGTERM or SIGHUP stop it cleanly: both ports closed, every client
connection closed, every task ended, exit code 0. A port in use or an unreadable
replay file raise before anything is served (the CLI turns them into one line).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

from .server import FrontServer
from .settings import FrontSettings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@asynccontextmanager
async def running(settings: FrontSettings) -> AsyncIterator[FrontServer]:
    """A started front, stopped on the way out (for tests and :func:`run`)."""
    front = FrontServer(settings)
    await front.start()
    try:
        yield front
    finally:
        await front.stop()


def banner(front: FrontServer) -> str:
    settings = front.settings
    return "\n".join(
        [
            f"tickhub ctp-front listening on {front.address}",
            f"  feed     {front.feed.describe()}",
            f"  login    broker {settings.broker_id}, user {settings.user_id}"
            + (", client authentication required" if settings.auth_code else ""),
            f"  trading  {front.instruments.describe()}; trading day "
            f"{front.shared.trading_day().isoformat()}"
            + ("" if settings.trading_day else " (the clock's)"),
            f"  control  127.0.0.1:{front.control_port}  "
            f"(tickhub ctp-front fault drop|silence|stall|refuse|reject-logins|clear|status "
            f"--control 127.0.0.1:{front.control_port}; also trading-day DAY|auto, pace N|off)",
            "Ctrl-C stops it.",
        ]
    )


async def _serve(settings: FrontSettings, out: TextIO) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running(settings) as front:
            print(banner(front), file=out, flush=True)
            await stop.wait()
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0


def run(settings: FrontSettings, out: TextIO = sys.stdout) -> int:
    """Serve until SIGINT/SIGTERM/SIGHUP; the exit code. OSError (a port in use) and
    ReplayError (a bad file) come out before anything is served."""
    return asyncio.run(_serve(settings, out))
