"""The whole tick path with every part real: two sim sources in their own worker
processes under the gateway service, NATS, the publisher service, a ZeroMQ client.

The two sims produce identical ticks per slot (the backup 30 ms later). Both are
eligible (hot mode), so the publisher gets two copies of every tick and must forward
the first: the client sees every slot of a contract exactly once, in order, with
gap-free seq numbers, from the first tick it gets.

The routing comes from the bucket the failover service writes; here the test writes
it (``ROUTES``), the way the failover service does for two HEALTHY sources in hot mode.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
import zmq
import zmq.asyncio
from nats.aio.client import Client

from tickhub_cli.ports import free_port
from tickhub_contracts import buckets, codec
from tickhub_contracts.messages import ContractRoute, SimSettings, SourceConfig, Tick
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

RATE = 10.0  # ticks per second per contract: enough slots in a few seconds
PERIOD_NS = round(1e9 / RATE)
CONTRACTS = ["rb2605.SHFE", "SR605.CZCE", "m2605.DCE"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WANTED = 40
"""Slots per contract the client must see (4 s at 10/s)."""


def slot_of(tick: Tick) -> int:
    return (tick.datetime - EPOCH) // timedelta(microseconds=1) * 1000 // PERIOD_NS


def sim(name: str, priority: int, delay_ms: float) -> SourceConfig:
    return SourceConfig(
        name=name,
        gateway_type="sim",
        priority=priority,
        contracts=CONTRACTS,
        canary=CONTRACTS[0],
        sim=SimSettings(ticks_per_second=RATE, delay_ms=delay_ms),
    )


async def write_routes(nc: Client, eligible: list[str]) -> None:
    """Hot-mode routes for every contract, as the failover service writes them."""
    bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    for vt_symbol in CONTRACTS:
        route = ContractRoute(
            vt_symbol=vt_symbol, source=eligible[0], at=datetime.now(UTC), eligible=eligible
        )
        await bucket.put(buckets.routing_key(vt_symbol), codec.encode(route))


@pytest.fixture
async def hub(settings: Settings, nc: Client) -> AsyncIterator[str]:
    """Gateway + publisher services as real processes; yields the ZeroMQ endpoint."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    sources = [sim("sim-a", 1, 0.0), sim("sim-b", 2, 30.0)]
    await write_routes(nc, ["sim-a", "sim-b"])
    env = {
        **os.environ,
        "TICKHUB_NATS_URL": settings.resolved_nats_url,
        "TICKHUB_DATA_DIR": str(settings.data_dir),
        "TICKHUB_ZMQ_PUB": endpoint,
        "TICKHUB_SOURCES": msgspec.json.encode(sources).decode(),
    }
    env.pop("TICKHUB_DATABASE_URL", None)  # a static pool: no database beside it
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", f"tickhub_{name}", env=env)
        for name in ("gateway", "publisher")
    ]
    try:
        yield endpoint
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(p.wait(), 20) for p in processes]
        assert codes == [0, 0], f"services did not stop cleanly: {codes}"


async def test_two_sims_reach_a_zeromq_client_once_each_in_order(hub: str) -> None:
    context = zmq.asyncio.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(hub)
    decoder = msgspec.msgpack.Decoder(Tick)
    seen: dict[str, list[Tick]] = {c: [] for c in CONTRACTS}
    deadline = time.monotonic() + 60
    try:
        while min(len(t) for t in seen.values()) < WANTED:
            assert time.monotonic() < deadline, {c: len(t) for c, t in seen.items()}
            topic, payload = await asyncio.wait_for(sub.recv_multipart(), 30)
            tick = decoder.decode(payload)
            assert topic.decode() == tick.vt_symbol
            seen[tick.vt_symbol].append(tick)
    finally:
        sub.close(linger=0)
        context.term()

    for vt_symbol, ticks in seen.items():
        # Every slot once, in order: consecutive with no hole and no repeat ...
        slots = [slot_of(t) for t in ticks]
        assert slots == list(range(slots[0], slots[0] + len(slots))), vt_symbol
        # ... seq numbers without a gap ...
        seqs = [t.seq for t in ticks]
        assert seqs == list(range(seqs[0] or 0, (seqs[0] or 0) + len(seqs))), vt_symbol
        assert all(t.live for t in ticks)
        # ... each the first copy to arrive: mostly the primary's, 30 ms ahead (the
        # backup's when the primary was not up yet, or a loaded machine held it up).
        sources = [t.source for t in ticks]
        assert set(sources) <= {"sim-a", "sim-b"}, vt_symbol
        assert sources[-WANTED:].count("sim-a") >= WANTED // 2, (vt_symbol, sources)
