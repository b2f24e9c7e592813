"""The resilient NATS client every service uses, against a real server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from nats.aio.msg import Msg

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


class _Said(logging.Handler):
    """Monotonic time of each line the bus logs, by message."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[str, list[float]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.at.setdefault(record.getMessage().split(" to ")[0], []).append(time.monotonic())


async def test_a_frozen_server_is_noticed_within_seconds_and_rejoined_after(
    tmp_path: Path,
) -> None:
    said = _Said()
    bus_log = logging.getLogger("tickhub.bus")
    level = bus_log.level
    bus_log.setLevel(logging.INFO)  # "reconnected" is an INFO line
    bus_log.addHandler(said)
    server = NatsServer(tmp_path / "nats").start()
    try:
        nc = await bus.connect(settings_for(server.port, tmp_path), "test", first_connect_s=10)
        try:
            server.freeze()  # its sockets stay open: a half-open connection
            frozen_at = time.monotonic()
            try:
                await until(lambda: "nats disconnected" in said.at, within=10)
                noticed = said.at["nats disconnected"][0] - frozen_at
                # Pings every second, three unanswered: ~4 s, not nats-py's 2 minutes.
                assert 2.0 < noticed < 6.0, noticed
                assert not nc.is_connected
            finally:
                server.thaw()
            await until(lambda: nc.is_connected and "nats reconnected" in said.at, within=15)
            # The connection works again end to end.
            got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

            async def on_msg(msg: Msg) -> None:
                if not got.done():
                    got.set_result(msg.data)

            await nc.subscribe("tickhub.test.thawed", cb=on_msg)
            await nc.publish("tickhub.test.thawed", b"back")
            assert await asyncio.wait_for(got, 5) == b"back"
            assert nc.stats["reconnects"] >= 1
        finally:
            await nc.close()
    finally:
        bus_log.removeHandler(said)
        bus_log.setLevel(level)
        server.stop()


async def test_a_killed_server_is_rejoined_when_it_comes_back(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats").start()
    try:
        nc = await bus.connect(settings_for(server.port, tmp_path), "test", first_connect_s=10)
        try:
            reconnects = nc.stats["reconnects"]
            server.kill()
            await until(lambda: not nc.is_connected, within=10)
            server.requested_port = server.port
            await asyncio.to_thread(server.start)
            await until(lambda: nc.stats["reconnects"] > reconnects, within=15)
            assert nc.is_connected
        finally:
            await nc.close()
    finally:
        server.stop()


async def until(condition: Callable[[], bool], within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.05)
