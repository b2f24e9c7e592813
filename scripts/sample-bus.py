"""Print one real message per kind of subject from a running hub, for docs/subjects.md.

    uv run tickhub up &                   # or any hub
    uv run python scripts/sample-bus.py [--nats-url URL] [--seconds 5] [--restart sim-b]

Listens to ``tickhub.>`` (and the replies to the requests it sends itself: the pool
query and a ``status`` command), then prints the first message of each kind as
indented JSON, in the order of docs/subjects.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, WorkerCommand


def kind(subject: str) -> str:
    parts = subject.split(".")
    if parts[1] == "worker":
        return "worker_control"
    return parts[1]


async def sample(url: str, seconds: float, restart: str | None) -> dict[str, tuple[str, bytes]]:
    nc = Client()
    await nc.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    seen: dict[str, tuple[str, bytes]] = {}

    async def on_message(msg: Msg) -> None:
        seen.setdefault(kind(msg.subject), (msg.subject, msg.data))

    await nc.subscribe(f"{subjects.PREFIX}.>", cb=on_message)
    pool = await nc.request(subjects.POOL, b"", timeout=5)
    seen["pool-reply"] = ("(reply)", pool.data)
    reply = await nc.request(
        subjects.control("sim-a"), codec.encode(Command(action="status")), timeout=5
    )
    seen["control-reply"] = ("(reply)", reply.data)
    # What the manager sends a worker (answered by the worker itself).
    worker = WorkerCommand(action="subscribe", vt_symbols=["rb2605.SHFE"])
    seen.setdefault("worker_control", (subjects.worker_control("sim-a"), codec.encode(worker)))
    if restart:
        # A restart shows what the quiet steady state does not: connection changes
        # and log records.
        await nc.request(
            subjects.control(restart), codec.encode(Command(action="restart")), timeout=15
        )
    await asyncio.sleep(seconds)
    await nc.close()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--restart", metavar="SOURCE", help="hard-restart SOURCE while listening")
    args = parser.parse_args()
    samples = asyncio.run(sample(args.nats_url, args.seconds, args.restart))
    for name, (subject, data) in samples.items():
        print(f"--- {name}: {subject}")
        if data:
            print(json.dumps(json.loads(data), indent=2, ensure_ascii=False))
        else:
            print("(empty payload)")


if __name__ == "__main__":
    main()
