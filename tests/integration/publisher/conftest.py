from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .feed import ZmqClient


@pytest.fixture
async def publisher(settings: Settings) -> AsyncIterator[Publisher]:
    """The publisher in this process (its bridge and counters in reach), on a free port."""
    running = Publisher(settings, service_logs=False)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def client(publisher: Publisher) -> AsyncIterator[ZmqClient]:
    zmq_client = ZmqClient(publisher.endpoint)
    yield zmq_client
    zmq_client.close()
