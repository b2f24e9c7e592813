"""Fixtures that start real servers for the integration tests.

Every test gets its own nats-server on a free port, so tests never see each other's
messages and never touch the machine's own server on 4222.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from tickhub_cli.natsserver import NatsServer
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def settings(nats_server: NatsServer, tmp_path: Path) -> Settings:
    """Settings pointing at this test's NATS and data dir; tests copy and adjust."""
    return Settings(
        nats_url=nats_server.url,
        data_dir=tmp_path / "data",
        zmq_pub="tcp://127.0.0.1:0",
        _env_file=None,
    )


@pytest.fixture
async def nc(settings: Settings) -> AsyncIterator[Client]:
    """A NATS client for the test itself (to watch subjects and send commands)."""
    client = await bus.connect(settings, "test")
    yield client
    await client.drain()
