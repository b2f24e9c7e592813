"""The yardsticks, measured in the same run as tickhub: raw ZeroMQ PUB->SUB with the
same msgpack ticks, and vnpy's RpcServer -> RpcClient (pickle over ZeroMQ) with vnpy
TickData. On a noisy 2-core machine the ratios to these are the figures that count."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import msgspec
import zmq

from tickhub_cli.ports import free_port

from .common import Result, paced, receiver_result, spawn_receiver, symbols, template


def raw_zmq(rate: float, seconds: float, n_symbols: int = 200) -> Result:
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 100_000)
    pub.bind(endpoint)
    total = int(rate * seconds)
    receiver = spawn_receiver(
        "--kind", "msgpack", "--name", "raw ZeroMQ", "--endpoint", endpoint,
        "--expect", str(total), "--offered", str(rate),
    )  # fmt: skip
    _warm_up(receiver, lambda: pub.send_multipart([b"warmup", b""]))
    ticks = [template(s) for s in symbols(n_symbols)]
    topics = [t.vt_symbol.encode() for t in ticks]
    encoder = msgspec.msgpack.Encoder()
    seqs = [0] * n_symbols
    i = 0
    for due in paced(rate, total):
        for _ in range(due):
            k = i % n_symbols
            seqs[k] += 1
            tick = ticks[k]
            tick.seq = seqs[k]
            tick.received_ns = time.time_ns()
            pub.send_multipart([topics[k], encoder.encode(tick)])
            i += 1
    result = receiver_result(receiver, timeout=seconds + 60)
    pub.close(linger=0)
    context.term()
    return result


def vnpy_rpc(rate: float, seconds: float, n_symbols: int = 200) -> Result:
    from vnpy.rpc import RpcServer
    from vnpy.trader.constant import Exchange
    from vnpy.trader.object import TickData

    rep, pub = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    server = RpcServer()
    server.start(rep, pub)
    total = int(rate * seconds)
    receiver = spawn_receiver(
        "--kind", "rpc", "--name", "vnpy RpcServer→RpcClient", "--endpoint", pub, "--req", rep,
        "--expect", str(total), "--offered", str(rate),
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
    for due in paced(rate, total):
        for _ in range(due):
            k = i % n_symbols
            seqs[k] += 1
            tick = replace(ticks[k])
            tick.extra = {"seq": seqs[k], "sent_ns": time.time_ns()}
            server.publish(tick.vt_symbol, tick)
            i += 1
    result = receiver_result(receiver, timeout=seconds + 60)
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
