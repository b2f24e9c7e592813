"""The publisher mirrors its routing table into the tickhub_routing bucket: a key per
contract served, gone when no source serves it, what an earlier run left cleared at
start, everything cleared at a clean stop. The statuses are sent by the test itself,
as the manager would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError, NoKeysError

from tests.integration.gateway.conftest import TIMEOUT
from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute, GatewayStatus
from tickhub_publisher.app import Publisher
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings


async def _table(nc: Client) -> dict[str, ContractRoute]:
    bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    try:
        keys = await bucket.keys()
    except NoKeysError:
        return {}
    table = {}
    for key in keys:
        try:
            entry = await bucket.get(key)
        except KeyNotFoundError:  # deleted since the listing
            continue
        table[key] = codec.decode(entry.value or b"", ContractRoute)
    return table


async def _table_until(
    nc: Client, condition: Callable[[dict[str, ContractRoute]], bool]
) -> dict[str, ContractRoute]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition(table := await _table(nc)):
        assert loop.time() < deadline, f"routing bucket never matched: {table}"
        await asyncio.sleep(0.05)
    return table


async def _status(nc: Client, source: str, priority: int, connected: bool) -> None:
    status = GatewayStatus(
        source=source,
        gateway_type="sim",
        priority=priority,
        state="running",
        at=datetime.now(UTC),
        pid=1,
        connection="connected" if connected else "disconnected",
        subscribed=["rb2605.SHFE", "m2605.DCE"],
    )
    await nc.publish(subjects.status(source), codec.encode(status))


async def test_the_publisher_writes_its_routing_to_the_bucket(
    settings: Settings, nc: Client
) -> None:
    bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    left = ContractRoute(vt_symbol="old1.SHFE", source="ghost", at=datetime.now(UTC))
    await bucket.put("SHFE.old1", codec.encode(left))

    publisher = Publisher(settings, service_logs=False)
    await publisher.start()
    try:
        # Nothing is served yet: what an earlier run left is gone.
        await _table_until(nc, lambda t: t == {})

        await _status(nc, "sim-b", 2, connected=True)
        await _status(nc, "sim-a", 1, connected=True)
        table = await _table_until(
            nc,
            lambda t: (
                {k: r.source for k, r in t.items()}
                == {"SHFE.rb2605": "sim-a", "DCE.m2605": "sim-a"}
            ),
        )
        route = table["SHFE.rb2605"]
        assert (route.vt_symbol, route.by) == ("rb2605.SHFE", "publisher")

        # sim-a drops: sim-b serves; then nobody does, and the keys go.
        await _status(nc, "sim-a", 1, connected=False)
        await _table_until(nc, lambda t: {r.source for r in t.values()} == {"sim-b"})
        await _status(nc, "sim-b", 2, connected=False)
        await _table_until(nc, lambda t: t == {})

        await _status(nc, "sim-a", 1, connected=True)
        await _table_until(nc, lambda t: len(t) == 2)
    finally:
        await publisher.stop()
    # A publisher that is gone forwards nothing: it says so.
    assert await _table(nc) == {}
