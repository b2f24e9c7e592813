"""The resilient NATS client every service uses, against a real server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tickhub_cli.natsserver import NatsServer
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings


def settings_for(port: int, tmp_path: Path) -> Settings:
    return Settings(nats_url=f"nats://127.0.0.1:{port}", data_dir=tmp_path, _env_file=None)


async def test_a_bounded_first_connect_gives_up_with_timeout(tmp_path: Path) -> None:
    with NatsServer(tmp_path / "nats") as server:
        port = server.port
    # The server is gone: nothing listens on its port any more.
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await bus.connect(settings_for(port, tmp_path), "test", first_connect_s=1.0)
    assert time.monotonic() - started < 5


async def test_a_service_started_before_its_server_connects_when_it_comes(
    tmp_path: Path,
) -> None:
    with NatsServer(tmp_path / "probe") as probe:
        port = probe.port
    connecting = asyncio.create_task(bus.connect(settings_for(port, tmp_path), "test"))
    await asyncio.sleep(0)  # let it begin failing before the server exists
    assert not connecting.done()
    server = NatsServer(tmp_path / "nats", port=port)
    await asyncio.to_thread(server.start)
    try:
        nc = await asyncio.wait_for(connecting, 15)
        assert nc.is_connected
        await nc.drain()
    finally:
        server.stop()
