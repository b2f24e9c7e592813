"""A ZeroMQ client that writes down every tick it gets, on a thread of its own.

It stands for a strategy: it subscribes to everything the publisher sends and keeps,
per tick, what :mod:`tickhub_harness.failover_stream` judges (topic, seq, exchange time,
volume, price, source) plus its own arrival time. A thread, not the test's event
loop, so that a busy loop (NATS watchers, process control) never delays a receipt
and shows up as a gap the hub did not cause.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import msgspec
import zmq

from tickhub_contracts import zeromq
from tickhub_contracts.messages import Tick

from .failover_stream import Arrival

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
POLL_MS = 100


def ns_of(at: datetime) -> int:
    """Exact ns since the epoch (a float timestamp loses ~200 ns at today's magnitude)."""
    return (at - EPOCH) // US * 1000


class Recorder:
    """``start()``, read ``arrivals`` (a growing list) or wait on it, ``stop()``."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.arrivals: list[Arrival] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zmq-recorder", daemon=True)

    def start(self) -> Recorder:
        self._thread.start()
        if not self._connected.wait(10):
            raise RuntimeError(f"the ZeroMQ recorder did not connect to {self.endpoint}")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def __len__(self) -> int:
        return len(self.arrivals)

    def since(self, start_ns: int) -> list[Arrival]:
        """Arrivals at or after ``start_ns`` (wall clock)."""
        # A copy first: the thread appends while we read (list.append is atomic).
        arrivals = list(self.arrivals)
        return [a for a in arrivals if a.arrived_ns >= start_ns]

    def _run(self) -> None:
        context = zmq.Context()
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 0)  # drop nothing on our side: a loss is the hub's
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(self.endpoint)
        self._connected.set()
        decoder = msgspec.msgpack.Decoder(Tick)
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        append = self.arrivals.append
        try:
            while not self._stop.is_set():
                if not poller.poll(POLL_MS):
                    continue
                while True:
                    try:
                        topic, payload = sub.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    now = time.time_ns()
                    if zeromq.is_announcement(topic):
                        continue  # a main-contract announcement, not a tick
                    try:
                        tick = decoder.decode(payload)
                    except msgspec.DecodeError as error:
                        self.errors.append(f"{topic!r}: {error}")
                        continue
                    if zeromq.is_alias_copy(topic, tick):
                        continue  # rb888.SHFE: a copy of a tick recorded under its own topic
                    append(
                        Arrival(
                            vt_symbol=tick.vt_symbol,
                            seq=tick.seq,
                            exchange_ns=ns_of(tick.datetime),
                            volume=tick.volume,
                            last_price=tick.last_price,
                            source=tick.source,
                            arrived_ns=now,
                            live=tick.live,
                            bid_volume_1=tick.bid_volume_1,
                            ask_volume_1=tick.ask_volume_1,
                        )
                    )
        finally:
            sub.close(linger=0)
            context.term()
