"""tickhub itself: a sim gateway worker -> NATS -> publisher -> ZeroMQ client.

Real processes, as `tickhub up` runs them: the bundled nats-server, the gateway
service (manager + one sim worker) and the publisher, with the routing written into
its bucket beforehand (:mod:`bench.routing`: a throughput run does not need the
health and failover services to judge the sources first). Latency is counted from the
tick's exchange time, which is the instant the sim emits it, to its arrival at the
client: every hop of the hub is inside it. A lost tick is a missing slot.

``copies`` sources carry the same contracts (same seed: tick for tick the same
content, as two CTP accounts on one exchange), all eligible: hot redundancy, where
the publisher gets every tick once per copy and sends it once. ``burst`` makes every
contract tick at its slot's start, CTP's 500 ms snapshot bursts.

CPU is read per process role over the receiver's measured window (:mod:`bench.cpu`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import msgspec

from tickhub_cli.natsserver import NatsServer
from tickhub_cli.ports import free_port
from tickhub_contracts.messages import SimSettings, SourceConfig

from . import universe
from .common import EXCHANGES, Result, receiver_result, spawn_receiver, symbols
from .cpu import Meter, children
from .routing import write_routes


def tickhub(
    per_contract: float,
    n_contracts: int,
    seconds: float,
    workers: int = 1,
    *,
    copies: int = 1,
    burst: bool = False,
    publishers: int = 1,
    warmup_s: float = 3.0,
    market: dict[str, str] | None = None,
    hammer: bool = False,
) -> Result:
    """Deliver ``per_contract * n_contracts`` ticks/s, split over ``workers`` groups of
    sim sources with disjoint contracts (one Python worker tops out below 50k/s), each
    group ``copies`` hot sources strong. Evenly spread over time (one phase group per
    millisecond of a slot, as the baselines pace theirs) unless ``burst``.
    ``publishers`` > 1 shards the publisher by exchange (the contracts are spread over
    that many exchanges) and the client subscribes to every shard.

    ``market``: the contracts are a resolved universe (:mod:`bench.universe`, one
    worker group; ``n_contracts`` is ignored), sharded two ways by exchange.

    ``hammer``: a client (:mod:`bench.hammer`) floods the publisher's recovery
    endpoint with snapshots and gap fills over the whole run."""
    groups = 1 if burst else max(1, round(1000 / per_contract))
    sim = SimSettings(ticks_per_second=per_contract, phase_groups=groups)
    if market is not None:
        n_contracts = len(market)
        sources = universe.sources(market, copies, sim)
        shards = [list(shard) for shard in universe.SHARDS] if publishers > 1 else [[]]
    else:
        contracts = symbols(n_contracts, exchanges=publishers)
        sources = [
            SourceConfig(
                name=f"bench-{i}" + (f"-{c}" if copies > 1 else ""),
                gateway_type="sim",
                priority=1 + c,
                contracts=contracts[i::workers],
                canary=contracts[i],
                sim=sim,
            )
            for i in range(workers)
            for c in range(copies)
        ]
        shards = [[ex] for ex in exchanges(publishers)] if publishers > 1 else [[]]
    rate = per_contract * n_contracts
    name = f"tickhub, {len(sources)} sim worker(s)" + (
        f", {copies} hot copies" if copies > 1 else ""
    )
    if hammer:
        name += ", recovery endpoint hammered"
    with (
        tempfile.TemporaryDirectory(prefix="tickhub-bench-") as tmp,
        NatsServer(Path(tmp) / "nats") as nats,
    ):
        routes: dict[str, list[str]] = {}
        for source in sources:
            for contract in source.contracts:
                routes.setdefault(contract, []).append(source.name)
        write_routes(nats.url, routes)
        pool_file = Path(tmp) / "sources.json"
        pool_file.write_bytes(msgspec.json.encode(sources))
        # Nothing of the developer's own TICKHUB_* (a database URL would make the
        # gateway refuse a static pool beside it).
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
        env |= {
            "TICKHUB_NATS_URL": nats.url,
            "TICKHUB_DATA_DIR": str(Path(tmp) / "data"),
            # A file: 10,000 contracts are more than an environment variable holds.
            "TICKHUB_SOURCES_FILE": str(pool_file),
            "TICKHUB_LOG_LEVEL": "WARNING",
        }
        endpoints = [f"tcp://127.0.0.1:{free_port()}" for _ in shards]
        recoveries = [f"tcp://127.0.0.1:{free_port()}" for _ in shards]
        pubs = [
            subprocess.Popen(
                [sys.executable, "-m", "tickhub_publisher"],
                env=env
                | {"TICKHUB_ZMQ_PUB": ep, "TICKHUB_ZMQ_RECOVERY": rec}
                | ({"TICKHUB_PUBLISHER_EXCHANGES": json.dumps(shard)} if shard else {}),
            )
            for shard, ep, rec in zip(shards, endpoints, recoveries, strict=True)
        ]
        gateway = subprocess.Popen([sys.executable, "-m", "tickhub_gateway"], env=env)
        services = [*pubs, gateway]
        assert nats.process is not None
        nats_pid = nats.process.pid
        meter = Meter(
            {
                "workers": lambda: descendants(gateway.pid),
                "gateway manager": lambda: [gateway.pid],
                "nats-server": lambda: [nats_pid],
                "publisher": lambda: [p.pid for p in pubs],
            }
        )
        flood: subprocess.Popen[str] | None = None
        try:
            if hammer:
                flood = spawn_hammer(recoveries[0], seconds + warmup_s + 30)
            receiver = spawn_receiver(
                "--kind", "msgpack", "--name", name,
                "--endpoint", ",".join(endpoints), "--expect", str(int(rate * seconds)),
                "--offered", str(rate), "--stamp", "exchange",
                "--period-ns", str(round(1e9 / per_contract)),
                "--skip-s", str(warmup_s), "--timeout", str(seconds + warmup_s + 60),
                *(["--bursts"] if burst else []),
            )  # fmt: skip
            result = receiver_result(receiver, timeout=seconds + warmup_s + 90, meter=meter)
            result.contracts = n_contracts
            if flood is not None:
                flood.terminate()  # its figures so far: it prints them on SIGTERM
                result.notes.append(hammer_note(flood))
            return result
        finally:
            if flood is not None and flood.poll() is None:
                flood.kill()
            for process in services:
                process.terminate()
            for process in services:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (a gateway's workers, and anything they started)."""
    found: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children(child)
    return found


def exchanges(publishers: int) -> list[str]:
    """The exchanges a run's contracts are spread over: one per publisher shard."""
    return EXCHANGES[: max(1, publishers)]


def spawn_hammer(endpoint: str, seconds: float) -> subprocess.Popen[str]:
    """Start ``python -m bench.hammer``; returns once its first request was answered."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.hammer", "--endpoint", endpoint, "--seconds", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise RuntimeError(f"hammer failed to start: {line!r}")
    return process


def hammer_note(process: subprocess.Popen[str]) -> str:
    """What the hammer got answered, as a note of the run."""
    out, _ = process.communicate(timeout=30)
    figures = json.loads(out.strip().splitlines()[-1])
    per_s = figures["replies"] / figures["seconds"]
    ticks_per_s = figures["ticks"] / figures["seconds"]
    return (
        f"recovery hammered: {per_s:,.0f} replies/s answered ({ticks_per_s:,.0f} ticks/s in "
        f"them) of {figures['sent']:,} requests sent"
    )
