"""LinkWatch against a real server: blind within a fraction of a second when the
server freezes (long before nats-py notices), heard again after it thaws, and a
reconnect always counts as a blind spell."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from tickhub_cli.natsserver import NatsServer
from tickhub_runtime import bus
from tickhub_runtime.link import LinkWatch
from tickhub_runtime.settings import Settings


async def _until(condition: Callable[[], bool], limit_s: float, what: str) -> float:
    """Seconds it took for ``condition`` to hold (polled every 20 ms)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > limit_s:
            raise AssertionError(f"not within {limit_s} s: {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_frozen_server_is_noticed_long_before_nats_py_does(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats").start()
    settings = Settings(nats_url=server.url, data_dir=tmp_path, _env_file=None)
    nc = await bus.connect(settings, "link-test")
    link = LinkWatch(nc, interval_s=0.1, stale_s=0.5, timeout_s=0.5)
    link.start()
    try:
        await _until(link.hearing, 3, "the link is heard")
        assert not link.take_regained()  # never blind yet
        server.freeze()
        try:
            took = await _until(lambda: not link.hearing(), 5, "blind after the freeze")
            # nats-py itself needs ~3 s of missed pings; a heartbeat timeout is 1.5 s.
            assert took < 1.2, took
            assert nc.is_connected  # the client library has not noticed yet
        finally:
            server.thaw()
        await _until(link.take_regained, 10, "heard again after the thaw")
        assert link.hearing()
        assert not link.take_regained()  # once per blind spell
    finally:
        await link.close()
        await nc.close()
        server.stop()


async def test_a_reconnect_counts_as_a_blind_spell(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats").start()
    settings = Settings(nats_url=server.url, data_dir=tmp_path, _env_file=None)
    nc = await bus.connect(settings, "link-test")
    link = LinkWatch(nc, interval_s=0.1, stale_s=0.5, timeout_s=0.5)
    link.start()
    try:
        await _until(link.hearing, 3, "the link is heard")
        reconnects = nc.stats["reconnects"]
        await asyncio.to_thread(server.restart)
        await _until(lambda: nc.stats["reconnects"] > reconnects, 15, "the client reconnected")
        # However short the gap, messages may have been lost in it: blind once.
        await _until(link.take_regained, 10, "regained after the reconnect")
    finally:
        await link.close()
        await nc.close()
        server.stop()
