"""tickhub itself: a sim gateway worker -> NATS -> publisher -> ZeroMQ client.

Real processes, as `tickhub up` runs them: the bundled nats-server, the gateway
service (manager + one sim worker) and the publisher, with the routing written into
its bucket beforehand (:mod:`bench.routing`: a throughput run does not need the
health and failover services to judge the sources first). Latency is counted from the
tick's exchange time, which is the instant the sim emits it, to its arrival at the
client: every hop of the hub is inside it. A lost tick is a missing slot.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import msgspec

from tickhub_cli.natsserver import NatsServer
from tickhub_cli.ports import free_port
from tickhub_contracts.messages import SimSettings, SourceConfig

from .common import Result, receiver_result, spawn_receiver, symbols
from .routing import write_routes


def tickhub(
    per_contract: float,
    n_contracts: int,
    seconds: float,
    workers: int = 1,
    warmup_s: float = 3.0,
) -> Result:
    """Offer ``per_contract * n_contracts`` ticks/s, spread evenly over time (one phase
    group per millisecond of a slot, as the baselines pace theirs) and over ``workers``
    sim sources with disjoint contracts (one Python worker tops out below 50k/s)."""
    rate = per_contract * n_contracts
    contracts = symbols(n_contracts)
    groups = max(1, round(1000 / per_contract))
    sources = [
        SourceConfig(
            name=f"bench-{i}",
            gateway_type="sim",
            priority=1,
            contracts=contracts[i::workers],
            canary=contracts[i],
            sim=SimSettings(ticks_per_second=per_contract, phase_groups=groups),
        )
        for i in range(workers)
    ]
    with tempfile.TemporaryDirectory(prefix="tickhub-bench-") as tmp:
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        with NatsServer(Path(tmp) / "nats") as nats:
            write_routes(nats.url, {c: [s.name] for s in sources for c in s.contracts})
            # Nothing of the developer's own TICKHUB_* (a database URL would make the
            # gateway refuse a static pool beside it).
            env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
            env |= {
                "TICKHUB_NATS_URL": nats.url,
                "TICKHUB_DATA_DIR": str(Path(tmp) / "data"),
                "TICKHUB_ZMQ_PUB": endpoint,
                "TICKHUB_SOURCES": msgspec.json.encode(sources).decode(),
                "TICKHUB_LOG_LEVEL": "WARNING",
            }
            services = [
                subprocess.Popen([sys.executable, "-m", f"tickhub_{name}"], env=env)
                for name in ("publisher", "gateway")
            ]
            try:
                receiver = spawn_receiver(
                    "--kind", "msgpack", "--name", f"tickhub, {workers} sim worker(s)",
                    "--endpoint", endpoint, "--expect", str(int(rate * seconds)),
                    "--offered", str(rate), "--stamp", "exchange",
                    "--period-ns", str(round(1e9 / per_contract)),
                    "--skip-s", str(warmup_s), "--timeout", str(seconds + warmup_s + 60),
                )  # fmt: skip
                return receiver_result(receiver, timeout=seconds + warmup_s + 90)
            finally:
                for process in services:
                    process.terminate()
                for process in services:
                    try:
                        process.wait(15)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
