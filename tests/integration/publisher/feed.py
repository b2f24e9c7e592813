"""What the publisher's integration tests feed it and how they watch its output.

The tests play the gateway (ticks on NATS) and the failover service (routes in the
``tickhub_routing`` bucket, :class:`Routing`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

import zmq
import zmq.asyncio
from nats.aio.client import Client
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec, subjects, zeromq
from tickhub_contracts.messages import (
    ConnectionState,
    ContractRoute,
    GatewayStatus,
    Tick,
    TickBatch,
)
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime import kv

SLOT0 = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
RB = "rb2605.SHFE"
PROBE = "probe0.PROBE"


def tick(
    source: str, slot: int, vt_symbol: str = RB, *, live: bool = True, **fields: object
) -> Tick:
    """The tick of ``slot`` (500 ms apart, like CTP), identical whatever the source."""
    symbol, exchange = vt_symbol.split(".")
    values: dict[str, object] = dict(
        symbol=symbol,
        exchange=exchange,
        datetime=SLOT0 + dt.timedelta(milliseconds=500 * slot),
        volume=float(slot),
        last_price=3500.0 + slot % 7,
        bid_price_1=3499.0,
        ask_price_1=3501.0,
        bid_volume_1=10.0,
        ask_volume_1=12.0,
        source=source,
        live=live,
        received_ns=time.time_ns(),
        gateway_name=source,
    )
    values.update(fields)
    return Tick(**values)  # type: ignore[arg-type]


def status(
    source: str,
    priority: int,
    subscribed: list[str],
    connection: ConnectionState = "connected",
) -> GatewayStatus:
    return GatewayStatus(
        source=source,
        gateway_type="sim",
        priority=priority,
        state="running",
        connection=connection,
        at=dt.datetime.now(dt.UTC),
        subscribed_count=len(subscribed),
    )


class Routing:
    """The routing bucket, written as the failover service writes it."""

    def __init__(self, bucket: KeyValue) -> None:
        self.bucket = bucket

    @classmethod
    async def open(cls, nc: Client) -> Routing:
        """Create the bucket as its writer does (the publisher only binds to it)."""
        return cls(await kv.open_bucket(nc, buckets.ROUTING, create=True))

    async def put(
        self, vt_symbol: str, *eligible: str, mode: str = "hot", degraded: bool = False
    ) -> None:
        """Route ``vt_symbol`` to ``eligible`` (best first; the first is the active one)."""
        route = ContractRoute(
            vt_symbol=vt_symbol,
            source=eligible[0],
            at=dt.datetime.now(dt.UTC),
            eligible=list(eligible) if mode == "hot" else [],
            mode=mode,  # type: ignore[arg-type]
            degraded=degraded,
        )
        await self.bucket.put(buckets.routing_key(vt_symbol), codec.encode(route))

    async def delete(self, vt_symbol: str) -> None:
        await self.bucket.delete(buckets.routing_key(vt_symbol))


def batch(*ticks: Tick) -> bytes:
    """Ticks as a worker sends them: one :class:`TickBatch` (one source, one exchange)."""
    return codec.encode(TickBatch(ticks=list(ticks)))


def subject_of(t: Tick) -> str:
    return subjects.ticks(t.source, t.exchange)


async def send_tick(nc: Client, t: Tick) -> None:
    """One tick as a batch of its own."""
    await nc.publish(subject_of(t), batch(t))


async def until(condition: Callable[[], bool], limit_s: float = 10.0, what: str = "") -> None:
    """Wait for ``condition`` (checked every 10 ms), failing after ``limit_s`` s."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit_s} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


def is_extra(topic: bytes) -> bool:
    """An announcement (``#main.rb888.SHFE``) or a main contract's alias copy
    (``rb888.SHFE``): what the tests of plain forwarding leave out."""
    return topic.startswith(zeromq.ANNOUNCEMENT) or topic.partition(b".")[0].endswith(b"888")


class ZmqClient:
    """A real SUB socket on the publisher's endpoint, decoding what arrives.

    :meth:`recv`, :meth:`ticks` and :meth:`nothing_more` see the contracts' own
    ticks only (aliases and announcements skipped); :meth:`recv_raw` sees every frame.
    """

    def __init__(self, endpoint: str, topics: list[bytes] | None = None) -> None:
        self.context = zmq.asyncio.Context()
        self.socket = self.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVHWM, 0)  # the test reads in bursts: keep it all
        for topic in topics or [b""]:
            self.socket.setsockopt(zmq.SUBSCRIBE, topic)
        self.socket.connect(endpoint)

    async def recv_raw(self, limit_s: float = 10.0) -> tuple[bytes, bytes]:
        if not await self.socket.poll(limit_s * 1000):
            raise AssertionError(f"nothing on ZeroMQ within {limit_s} s")
        topic, payload = await self.socket.recv_multipart()
        return topic, payload

    async def recv(self, limit_s: float = 10.0) -> tuple[bytes, Tick]:
        deadline = time.monotonic() + limit_s
        while True:
            try:
                topic, payload = await self.recv_raw(max(0.0, deadline - time.monotonic()))
            except AssertionError:
                raise AssertionError(f"no tick on ZeroMQ within {limit_s} s") from None
            if not is_extra(topic):
                return topic, zeromq.decode(payload)

    async def ticks(self, n: int, limit_s: float = 20.0, skip_probe: bool = True) -> list[Tick]:
        """The next ``n`` ticks (probe ticks left out); fails if they do not come."""
        got: list[Tick] = []
        deadline = time.monotonic() + limit_s
        while len(got) < n:
            try:
                topic, t = await self.recv(max(0.01, deadline - time.monotonic()))
            except AssertionError:
                raise AssertionError(f"{len(got)} of {n} ticks within {limit_s} s") from None
            assert topic == zeromq.topic(t.vt_symbol)
            if skip_probe and t.vt_symbol == PROBE:
                continue
            got.append(t)
        return got

    async def nothing_more(self, within: float = 0.5) -> None:
        """Fail if a non-probe tick arrives within ``within`` s."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            if not await self.socket.poll(left * 1000):
                return
            topic, payload = await self.socket.recv_multipart()
            if is_extra(topic):
                continue
            t = zeromq.decode(payload)
            if t.vt_symbol != PROBE:
                raise AssertionError(f"unexpected tick: {t}")

    async def join(self, nc: Client, limit_s: float = 10.0) -> None:
        """Make sure the subscription has reached the publisher (ZeroMQ's slow joiner):
        route a probe source and send its ticks until one comes back."""
        routing = await Routing.open(nc)
        await routing.put(PROBE, "probe")
        deadline = time.monotonic() + limit_s
        slot = 0
        while time.monotonic() < deadline:
            slot += 1
            await send_tick(nc, tick("probe", slot, PROBE))
            await nc.flush()
            if await self.socket.poll(100):
                while await self.socket.poll(50):  # drain the probes
                    await self.socket.recv_multipart()
                return
        raise AssertionError(f"the ZeroMQ client did not join within {limit_s} s")

    def close(self) -> None:
        self.socket.close(0)
        self.context.term()
