"""The whole tick path with every part real: two sim sources in their own worker
processes under the gateway service, NATS, the health and failover services that
route them, the publisher service, a ZeroMQ client.

The two sims produce identical ticks per slot (the backup 30 ms later). Once both are
HEALTHY both are eligible (hot mode), so the publisher gets two copies of every tick
and must forward the first: the client sees every slot of a contract exactly once, in
order, with gap-free seq numbers, from the first tick it gets, whichever source the
routing took first while the other was still starting.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
import zmq
import zmq.asyncio
from nats.aio.client import Client

from tickhub_cli.ports import free_port
from tickhub_contracts import buckets, codec, zeromq
from tickhub_contracts.messages import ContractRoute, SimSettings, SourceConfig, Tick
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

RATE = 10.0  # ticks per second per contract: enough slots in a few seconds
PERIOD_NS = round(1e9 / RATE)
CONTRACTS = ["rb2605.SHFE", "SR605.CZCE", "m2605.DCE"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WANTED = 40
"""Slots per contract the client must see (4 s at 10/s)."""
SERVICES = ("gateway", "health", "failover", "publisher")


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


async def routing_now(nc: Client) -> dict[str, ContractRoute]:
    bucket = await kv.open_bucket(nc, buckets.ROUTING, create=False)
    entries = await kv.snapshot(bucket)
    return {
        buckets.routing_vt_symbol(key): codec.decode(raw, ContractRoute)
        for key, raw in entries.items()
    }


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[str]:
    """Every service as a real process, as `tickhub up` runs them; yields the ZeroMQ
    endpoint."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    sources = [sim("sim-a", 1, 0.0), sim("sim-b", 2, 30.0)]
    env = {
        **os.environ,
        "TICKHUB_NATS_URL": settings.resolved_nats_url,
        "TICKHUB_DATA_DIR": str(settings.data_dir),
        "TICKHUB_ZMQ_PUB": endpoint,
        "TICKHUB_ZMQ_RECOVERY": f"tcp://127.0.0.1:{free_port()}",
        "TICKHUB_SOURCES": msgspec.json.encode(sources).decode(),
    }
    env.pop("TICKHUB_DATABASE_URL", None)  # a static pool: no database beside it
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", f"tickhub_{name}", env=env)
        for name in SERVICES
    ]
    try:
        yield endpoint
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(p.wait(), 20) for p in processes]
        assert codes == [0] * len(SERVICES), f"services did not stop cleanly: {codes}"


async def both_eligible(nc: Client) -> bool:
    """Whether the failover service routes every contract to both sims (hot mode)."""
    try:
        routes = await routing_now(nc)
    except Exception:  # the bucket is not there yet
        return False
    return set(routes) == set(CONTRACTS) and all(
        set(r.eligible) == {"sim-a", "sim-b"} for r in routes.values()
    )


async def test_two_sims_reach_a_zeromq_client_once_each_in_order(hub: str, nc: Client) -> None:
    context = zmq.asyncio.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(hub)
    seen: dict[str, list[Tick]] = {c: [] for c in CONTRACTS}

    async def collect() -> None:
        while True:
            topic, payload = await sub.recv_multipart()
            if zeromq.is_announcement(topic):
                continue
            tick = zeromq.decode(payload)
            if zeromq.is_alias_copy(topic, tick):
                continue  # rb888.SHFE: the main contract's ticks again
            seen[tick.vt_symbol].append(tick)

    collecting = asyncio.create_task(collect())
    deadline = time.monotonic() + 60

    async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
        while not await condition():
            assert not collecting.done(), collecting.exception()
            assert time.monotonic() < deadline, (what, {c: len(t) for c, t in seen.items()})
            await asyncio.sleep(0.1)

    try:
        # Both HEALTHY: every tick now comes twice, and the client must get it once.
        await until(lambda: both_eligible(nc), "both sims eligible for every contract")
        start = {c: len(t) for c, t in seen.items()}

        async def enough() -> bool:
            return all(len(seen[c]) >= start[c] + WANTED for c in CONTRACTS)

        await until(enough, f"{WANTED} more slots of every contract")
        assert await both_eligible(nc), "the routing changed while both sims ran"
    finally:
        collecting.cancel()
        sub.close(linger=0)
        context.term()

    for vt_symbol, ticks in seen.items():
        # Every slot once, in order, from the first tick the client got (whichever
        # source the routing took first): consecutive with no hole and no repeat ...
        slots = [slot_of(t) for t in ticks]
        assert slots == list(range(slots[0], slots[0] + len(slots))), vt_symbol
        # ... seq numbers without a gap ...
        seqs = [t.seq for t in ticks]
        assert seqs == list(range(seqs[0] or 0, (seqs[0] or 0) + len(seqs))), vt_symbol
        assert all(t.live for t in ticks)
        # ... each the first copy to arrive: mostly the primary's, 30 ms ahead (the
        # backup's when a loaded machine held the primary's up).
        sources = [t.source for t in ticks[start[vt_symbol] :]]
        assert set(sources) <= {"sim-a", "sim-b"}, vt_symbol
        assert sources.count("sim-a") >= WANTED // 2, (vt_symbol, sources)
    routes = await routing_now(nc)
    assert all((r.by, r.mode) == ("failover", "hot") for r in routes.values()), routes
