"""The yardsticks, measured in the same run as tickhub: raw ZeroMQ PUB->SUB with the
same msgpack ticks, and vnpy's RpcServer -> RpcClient (pickle over ZeroMQ) with vnpy
TickData. On a noisy 2-core machine the ratios to these are the figures that count."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import msgspec
import zmq

from tickhub_cli.ports import free_port

from .common import Result, bursts, paced, receiver_result, spawn_receiver, symbols, template

BURST_PERIOD_S = 0.5
"""CTP's cadence: every contract's snapshot once per 500 ms, all in one burst."""


def schedule(rate: float, seconds: float, n_symbols: int, burst: bool) -> Iterator[tuple[int, int]]:
    """(how many to send now, the stamp they carry): paced evenly at ``rate``, stamped
    at their send; or, with ``burst``, every contract at once each 500 ms, stamped at
    the burst's start (so the last arrival of a burst is its drain time)."""
    if burst:
        for _ in bursts(BURST_PERIOD_S, int(seconds / BURST_PERIOD_S)):
            yield n_symbols, time.time_ns()
    else:
        for due in paced(rate, int(rate * seconds)):
            yield due, 0


def raw_zmq(rate: float, seconds: float, n_symbols: int = 200, burst: bool = False) -> Result:
    """``burst``: ``n_symbols`` ticks every 500 ms (``rate`` is then their mean rate)."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 100_000)
    pub.bind(endpoint)
    total = int(rate * seconds)
    receiver = spawn_receiver(
        "--kind", "msgpack", "--name", "raw ZeroMQ", "--endpoint", endpoint,
        "--expect", str(total), "--offered", str(rate), *(["--bursts"] if burst else []),
    )  # fmt: skip
    _warm_up(receiver, lambda: pub.send_multipart([b"warmup", b""]))
    ticks = [template(s) for s in symbols(n_symbols)]
    topics = [t.vt_symbol.encode() for t in ticks]
    encoder = msgspec.msgpack.Encoder()
    seqs = [0] * n_symbols
    i = 0
    cpu = time.process_time()
    for due, stamp in schedule(rate, seconds, n_symbols, burst):
        for _ in range(due):
            k = i % n_symbols
            seqs[k] += 1
            tick = ticks[k]
            tick.seq = seqs[k]
            tick.received_ns = stamp or time.time_ns()
            pub.send_multipart([topics[k], encoder.encode(tick)])
            i += 1
    cpu = time.process_time() - cpu
    result = receiver_result(receiver, timeout=seconds + 60)
    result.cpu_s["sender"] = cpu
    pub.close(linger=0)
    context.term()
    return result


def vnpy_rpc(rate: float, seconds: float, n_symbols: int = 200, burst: bool = False) -> Result:
    from vnpy.rpc import RpcServer
    from vnpy.trader.constant import Exchange
    from vnpy.trader.object import TickData

    rep, pub = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    server = RpcServer()
    server.start(rep, pub)
    total = int(rate * seconds)
    receiver = spawn_receiver(
        "--kind", "rpc", "--name", "vnpy RpcServer→RpcClient", "--endpoint", pub, "--req", rep,
        "--expect", str(total), "--offered", str(rate), *(["--bursts"] if burst else []),
    )  # fmt: skip
    _warm_up(receiver, lambda: server.publish("warmup", None))
    ticks = []
    for vt_symbol in symbols(n_symbols):
        t = template(vt_symbol)
        fields = {
            f: getattr(t, f)
            for f in msgspec.structs.asdict(t)
            if f in TickData.__dataclass_fields__
        }
        fields.update(exchange=Exchange.SHFE, datetime=datetime.now())
        ticks.append(TickData(**fields))
    seqs = [0] * n_symbols
    i = 0
    cpu = time.process_time()
    for due, stamp in schedule(rate, seconds, n_symbols, burst):
        for _ in range(due):
            k = i % n_symbols
            seqs[k] += 1
            tick = replace(ticks[k])
            tick.extra = {"seq": seqs[k], "sent_ns": stamp or time.time_ns()}
            server.publish(tick.vt_symbol, tick)
            i += 1
    cpu = time.process_time() - cpu
    result = receiver_result(receiver, timeout=seconds + 60)
    result.cpu_s["sender"] = cpu
    server.stop()
    server.join()
    return result


def _warm_up(receiver: object, send: object) -> None:
    """Send warm-up frames until the receiver has seen one: a PUB drops everything sent
    before the subscription reaches it (ZeroMQ's slow joiner), so timing starts after."""
    import selectors
    import subprocess

    assert isinstance(receiver, subprocess.Popen) and receiver.stdout is not None
    assert callable(send)
    selector = selectors.DefaultSelector()
    selector.register(receiver.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        send()
        if selector.select(timeout=0.01):
            line = receiver.stdout.readline().strip()
            if line == "warm":
                return
            raise RuntimeError(f"receiver said {line!r}")
    raise RuntimeError("receiver never saw a warm-up frame")
