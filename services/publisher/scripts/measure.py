"""Quick local measurement of the publisher alone (not ``make bench``).

    PYTHONPATH=. uv run python services/publisher/scripts/measure.py --rate 2000 --seconds 5

(PYTHONPATH=. for the ``bench`` package at the repository root, whose sender pacing,
full-size tick and receiver process this reuses.)

Starts a bundled nats-server, routes every contract to one source in the routing
bucket (as the failover service would), ``python -m tickhub_publisher`` and bench's
receiver process, then publishes paced ticks on NATS from this
process, each stamped with its send time in ``received_ns``. Prints the receiver's
result: ticks/s, p50/p99/max latency (send on NATS -> decoded by the ZeroMQ client),
losses judged by the publisher's seq.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import paced, receiver_result, spawn_receiver, symbols, template
from bench.routing import write_routes
from tickhub_cli.natsserver import NatsServer
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import TickBatch
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings


async def feed(settings: Settings, rate: float, total: int, contracts: list[str]) -> None:
    nc = await bus.connect(settings, "measure")
    ticks = [template(vt) for vt in contracts]
    subject = subjects.ticks("bench", ticks[0].exchange)
    start = ticks[0].datetime
    encode = codec.encode
    publish = nc.publish
    n = len(ticks)
    i = 0
    for due in paced(rate, total):
        for _ in range(due):
            k = i % n
            tick = ticks[k]
            tick.datetime = start + timedelta(milliseconds=i)
            tick.volume += 1
            tick.received_ns = time.time_ns()
            await publish(subject, encode(TickBatch(ticks=[tick])))
            i += 1
        await asyncio.sleep(0)
    await nc.flush()
    await nc.drain()


def cpu_seconds(pid: int) -> float:
    """user + system CPU of a process so far (Linux); prints each thread's share."""
    tick = os.sysconf("SC_CLK_TCK")
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        name = (task / "comm").read_text().strip()
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        print(
            f"  thread {name}: user {int(fields[11]) / tick:.2f} s, "
            f"system {int(fields[12]) / tick:.2f} s"
        )
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--contracts", type=int, default=100)
    parser.add_argument("--profile", default="", help="write the publisher's cProfile here")
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    contracts = symbols(args.contracts)
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        # Before the publisher starts: it has the routing once its start line is out.
        write_routes(server.url, {vt_symbol: ["bench"] for vt_symbol in contracts})
        env = {
            **os.environ,
            "TICKHUB_NATS_URL": server.url,
            "TICKHUB_ZMQ_PUB": "tcp://127.0.0.1:0",
            "TICKHUB_DATA_DIR": tmp,
            "TICKHUB_LOG_LEVEL": "INFO",
        }
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        publisher = subprocess.Popen(
            [sys.executable, *profile, "-m", "tickhub_publisher"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert publisher.stderr is not None
        endpoint = ""
        for line in publisher.stderr:
            found = re.search(r"publishing ticks on (\S+)", line)
            if found:
                endpoint = found.group(1)
                break
        receiver = spawn_receiver(
            "--kind=msgpack",
            "--name=publisher",
            f"--endpoint={endpoint}",
            f"--expect={total}",
            f"--offered={args.rate}",
        )
        settings = Settings(nats_url=server.url, _env_file=None)
        asyncio.run(feed(settings, args.rate, total, contracts))
        result = receiver_result(receiver, timeout=args.seconds * 4 + 60)
        cpu_s = cpu_seconds(publisher.pid)
        publisher.terminate()
        _, err = publisher.communicate(timeout=30)
        stats = [line for line in err.splitlines() if "stats" in line]
        print(result.to_json())
        print(f"publisher cpu: {cpu_s:.2f} s = {cpu_s / total * 1e6:.1f} us per tick")
        print(stats[-1] if stats else err[-2000:])


if __name__ == "__main__":
    main()
