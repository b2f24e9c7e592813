"""The whole tick path with every part real: two sim sources in their own worker
processes under the gateway service, NATS, the publisher service, a ZeroMQ client.

The two sims produce identical ticks per slot (the backup 30 ms later), so the client
must see every slot of a contract exactly once, in order, with gap-free seq numbers,
once the preferred source carries the stream. (At start-up the backup's status can
arrive first; the switch to the primary then is a failover of the selection rule, and
losing nothing across a failover is issue 4's arbitration, tested there.)
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

from tickhub_cli.ports import free_port
from tickhub_contracts.messages import SimSettings, SourceConfig, Tick
from tickhub_runtime.settings import Settings

RATE = 10.0  # ticks per second per contract: enough slots in a few seconds
PERIOD_NS = round(1e9 / RATE)
CONTRACTS = ["rb2605.SHFE", "SR605.CZCE", "m2605.DCE"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[str]:
    """Gateway + publisher services as real processes; yields the ZeroMQ endpoint."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    sources = [sim("sim-a", 1, 0.0), sim("sim-b", 2, 30.0)]
    env = {
        **os.environ,
        "TICKHUB_NATS_URL": settings.resolved_nats_url,
        "TICKHUB_DATA_DIR": str(settings.data_dir),
        "TICKHUB_ZMQ_PUB": endpoint,
        "TICKHUB_SOURCES": msgspec.json.encode(sources).decode(),
    }
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
    wanted = 40  # slots per contract once sim-a carries it (4 s at 10/s)

    def steady_count(ticks: list[Tick]) -> int:
        sources = [t.source for t in ticks]
        return len(ticks) - sources.index("sim-a") if "sim-a" in sources else 0

    deadline = time.monotonic() + 60
    try:
        while min(steady_count(t) for t in seen.values()) < wanted:
            assert time.monotonic() < deadline, {c: len(t) for c, t in seen.items()}
            topic, payload = await asyncio.wait_for(sub.recv_multipart(), 30)
            tick = decoder.decode(payload)
            assert topic.decode() == tick.vt_symbol
            seen[tick.vt_symbol].append(tick)
    finally:
        sub.close(linger=0)
        context.term()

    for vt_symbol, ticks in seen.items():
        sources = [t.source for t in ticks]
        assert "sim-a" in sources, vt_symbol
        steady = ticks[sources.index("sim-a") :]
        # Once the preferred source is seen it carries the stream ...
        assert {t.source for t in steady} == {"sim-a"}, vt_symbol
        assert len(steady) >= wanted, vt_symbol
        # ... every slot once, in order: consecutive with no hole and no repeat ...
        slots = [slot_of(t) for t in steady]
        assert slots == list(range(slots[0], slots[0] + len(slots))), vt_symbol
        # ... and seq numbers without a gap, from the first tick on.
        seqs = [t.seq for t in ticks]
        assert seqs == list(range(seqs[0] or 0, (seqs[0] or 0) + len(seqs))), vt_symbol
        assert all(t.live for t in ticks)
