"""Routing for a benchmark hub: which sources the publisher forwards, per contract.

In a real hub the failover service writes the ``tickhub_routing`` bucket from the
health verdicts. A throughput run does not need that machinery (and must not wait
for it to judge every source healthy), so it writes the routes itself, exactly as
the failover service would in hot mode: :func:`write_routes` before the services
start. A run that measures failover instead starts the health and failover services
and writes nothing (:mod:`tickhub_harness.failover_hub`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import nats

from tickhub_contracts import buckets, codec
from tickhub_contracts.messages import ContractRoute
from tickhub_runtime import kv


def write_routes(nats_url: str, routes: Mapping[str, Sequence[str]]) -> None:
    """Route each vt_symbol to its eligible sources (best first), hot mode."""
    asyncio.run(_write(nats_url, routes))


async def _write(nats_url: str, routes: Mapping[str, Sequence[str]]) -> None:
    nc = await nats.connect(nats_url)
    try:
        bucket = await kv.open_bucket(
            nc,
            buckets.ROUTING,
            create=True,
            description="tickhub: contract -> the sources whose ticks go out now",
        )
        now = datetime.now(UTC)
        for vt_symbol, eligible in routes.items():
            route = ContractRoute(
                vt_symbol=vt_symbol,
                source=eligible[0],
                at=now,
                by="bench",
                eligible=list(eligible),
            )
            await bucket.put(buckets.routing_key(vt_symbol), codec.encode(route))
    finally:
        await nc.drain()
