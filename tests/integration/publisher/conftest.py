from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client

from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .feed import Routing, ZmqClient


@pytest.fixture
async def routing(nc: Client) -> Routing:
    """The routing bucket, created before the publisher starts (as the failover
    service would have): the test writes the routes."""
    return await Routing.open(nc)


@pytest.fixture
async def publisher(settings: Settings, routing: Routing) -> AsyncIterator[Publisher]:
    """The publisher in this process (its bridge and counters in reach), on a free port,
    with the routing bucket read."""
    running = Publisher(settings, service_logs=False)
    await running.start()
    assert running.routing is not None and running.routing.ready.is_set()
    yield running
    await running.stop()


@pytest.fixture
async def client(publisher: Publisher) -> AsyncIterator[ZmqClient]:
    zmq_client = ZmqClient(publisher.endpoint)
    yield zmq_client
    zmq_client.close()
