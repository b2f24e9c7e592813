"""The receiving end of every benchmark run, in its own process as a client would be.

``python -m bench.receiver --kind msgpack|rpc --endpoint E ...`` prints ``ready`` once
connected, ``warm`` at its first warm-up frame, ``measuring`` at the first tick it
counts (the caller starts its CPU meters then), and at the end one JSON line: a
:class:`bench.common.Result`. Latency is receive time minus the send stamp the
sender put in the tick (same machine, same wall clock).

With ``--bursts`` every contract ticks once per burst and the stamp is the burst's
start, so the latest arrival of a burst's ticks is how long the burst took to drain.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import zmq

from tickhub_contracts import zeromq
from tickhub_contracts.messages import Tick

from .common import Result, percentile


class Tally:
    """Latencies, and losses/duplicates judged per contract by a counter that must
    advance by exactly one (the sender's or publisher's seq, or the exchange-time slot)."""

    def __init__(self, period_ns: int | None, bursts: bool = False) -> None:
        self.period_ns = period_ns
        self.bursts = bursts
        self.drains: dict[int, int] = {}
        """Burst (its counter) -> the latest arrival of its ticks after its start, ns."""
        self.cpu_start = 0.0
        self.cpu_end = 0.0
        self.in_worker: list[int] = []
        """Per tick, the worker's take (``received_ns``) minus the send stamp: how long
        the source (sim or CTP API, with its burst) took to hand it over."""
        self.latencies: list[int] = []
        self.last: dict[str, int] = {}
        self.lost = 0
        self.duplicated = 0
        self.first_ns = 0
        self.last_ns = 0

    def add(self, vt_symbol: str, counter: int, sent_ns: int) -> None:
        now = time.time_ns()
        if not self.first_ns:
            self.first_ns = now
            self.cpu_start = time.process_time()
            print("measuring", flush=True)
        self.last_ns = now
        latency = now - sent_ns
        self.latencies.append(latency)
        if self.bursts and latency > self.drains.get(counter, 0):
            self.drains[counter] = latency
        self.cpu_end = time.process_time()
        previous = self.last.get(vt_symbol)
        if previous is not None:
            step = counter - previous
            if step <= 0:
                self.duplicated += 1
                return
            self.lost += step - 1
        self.last[vt_symbol] = counter


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


def ns_of(at: datetime) -> int:
    """Exact ns since the epoch (a float timestamp loses ~200 ns at today's magnitude)."""
    return (at - EPOCH) // US * 1000


def counter_of(tick: Tick, period_ns: int | None) -> int:
    if period_ns:  # the sim's slot index: consecutive slots are consecutive ticks
        return ns_of(tick.datetime) // period_ns
    return tick.seq or 0


def run_msgpack(args: argparse.Namespace, tally: Tally) -> None:
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)  # measure the sender's drops, not our own
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    for endpoint in args.endpoint.split(","):  # one per publisher shard
        sub.connect(endpoint)
    decoder = msgspec.msgpack.Decoder(Tick)
    print("ready", flush=True)
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    warm = False
    deadline = time.monotonic() + args.timeout
    received = 0
    skip_until: float | None = None
    while time.monotonic() < deadline and received < args.expect:
        if not poller.poll(args.idle * 1000 if received else 1000):
            if received:
                break
            continue
        topic, payload = sub.recv_multipart()
        if topic == b"warmup":
            if not warm:
                warm = True
                print("warm", flush=True)
            continue
        if topic[:1] == zeromq.ANNOUNCEMENT:
            continue  # a main-contract announcement, not a tick
        tick = decoder.decode(payload)
        if topic != f"{tick.symbol}.{tick.exchange}".encode():
            continue  # a main-contract alias's copy (rb888.SHFE) of a tick counted already
        stamp = ns_of(tick.datetime) if args.stamp == "exchange" else tick.received_ns
        if skip_until is None:
            skip_until = time.monotonic() + args.skip_s
        if time.monotonic() < skip_until:
            continue  # start-up: the worker is still spawning and catching up
        tally.add(topic.decode(), counter_of(tick, tally.period_ns), stamp)
        if args.stamp == "exchange" and tick.received_ns:
            tally.in_worker.append(tick.received_ns - stamp)
        received += 1


def run_rpc(args: argparse.Namespace, tally: Tally) -> None:
    from vnpy.rpc import RpcClient

    done = {"n": 0}

    class Client(RpcClient):
        def callback(self, topic: str, data: Any) -> None:
            if topic == "warmup":
                if not done.get("warm"):
                    done["warm"] = 1
                    print("warm", flush=True)
                return
            tally.add(topic, data.extra["seq"], data.extra["sent_ns"])
            done["n"] += 1

    client = Client()
    client.subscribe_topic("")
    client.start(args.req, args.endpoint)
    print("ready", flush=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and done["n"] < args.expect:
        seen = done["n"]
        time.sleep(args.idle)
        if seen and done["n"] == seen:
            break


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["msgpack", "rpc"], required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--req", default="")
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--offered", type=float, required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--idle", type=float, default=2.0)
    parser.add_argument("--period-ns", type=int, default=0)
    parser.add_argument("--stamp", choices=["received", "exchange"], default="received")
    parser.add_argument("--skip-s", type=float, default=0.0)
    parser.add_argument("--bursts", action="store_true", help="report each burst's drain")
    args = parser.parse_args()
    tally = Tally(args.period_ns or None, args.bursts)
    (run_rpc if args.kind == "rpc" else run_msgpack)(args, tally)
    latencies = sorted(tally.latencies)
    received = len(latencies)
    result = Result(
        name=args.name,
        offered_per_s=args.offered,
        received=received,
        expected=args.expect,
        lost=tally.lost if args.period_ns else max(0, args.expect - received + tally.duplicated),
        duplicated=tally.duplicated,
        elapsed_s=(tally.last_ns - tally.first_ns) / 1e9,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=percentile(latencies, 1.0),
        cpu_s={"receiver": tally.cpu_end - tally.cpu_start},
    )
    if tally.in_worker:
        # The hub's stages: source -> the worker's take, and the worker's take -> here.
        taken = sorted(tally.in_worker)
        after = sorted(a - b for a, b in zip(tally.latencies, tally.in_worker, strict=True))
        result.stages_ms = {
            "source → worker": (percentile(taken, 0.5), percentile(taken, 0.99)),
            "worker → client": (percentile(after, 0.5), percentile(after, 0.99)),
        }
    if args.bursts:
        # The first and last bursts may be cut by the window: only whole ones count.
        keys = sorted(tally.drains)[1:-1] if len(tally.drains) > 2 else list(tally.drains)
        whole = sorted(tally.drains[k] for k in keys)
        result.bursts = len(whole)
        result.drain_p50_ms = percentile(whole, 0.50)
        result.drain_max_ms = percentile(whole, 1.0)
    print(result.to_json(), flush=True)
    sys.stdout.flush()
    os._exit(0)  # vnpy's RpcClient thread polls for 30 s before it notices stop()


if __name__ == "__main__":
    main()
