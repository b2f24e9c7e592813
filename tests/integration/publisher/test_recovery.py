"""The recovery endpoint of a real publisher, asked over a plain REQ socket (as a
client in any language would): hello, snapshots (contracts, prefixes, aliases,
paging), gap fills by seq from the ring, "too old", another epoch, bad requests, and
a flood that neither grows the server nor stops the ticks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
import zmq
import zmq.asyncio
from nats.aio.client import Client

from tickhub_contracts import recovery, zeromq
from tickhub_contracts.messages import Tick
from tickhub_contracts.recovery import RecoveryReply, RecoveryRequest
from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .feed import RB, Routing, ZmqClient, send_tick, tick, until

AU = "au2606.SHFE"


class Req:
    """A REQ socket on the recovery endpoint: one request, one reply."""

    def __init__(self, endpoint: str) -> None:
        self.context = zmq.asyncio.Context()
        self.socket = self.context.socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    async def ask(self, **fields: object) -> tuple[RecoveryReply, list[tuple[bytes, Tick]]]:
        request = RecoveryRequest(**fields)  # type: ignore[arg-type]
        await self.socket.send(recovery.encode(request))
        return self.read(await asyncio.wait_for(self.socket.recv_multipart(), 10))

    async def ask_raw(self, frame: bytes) -> RecoveryReply:
        await self.socket.send(frame)
        return self.read(await asyncio.wait_for(self.socket.recv_multipart(), 10))[0]

    @staticmethod
    def read(frames: list[bytes]) -> tuple[RecoveryReply, list[tuple[bytes, Tick]]]:
        header = recovery.decode_reply(frames[0])
        pairs = frames[1:]
        assert len(pairs) == 2 * header.count, (header, len(pairs))
        return header, [(pairs[i], zeromq.decode(pairs[i + 1])) for i in range(0, len(pairs), 2)]

    def close(self) -> None:
        self.socket.close(0)
        self.context.term()


@pytest.fixture
async def small(settings: Settings, routing: Routing) -> AsyncIterator[Publisher]:
    """A publisher with small rings and replies, so the bounds are reached."""
    tight = settings.model_copy(
        update={"recovery_ring": 5, "recovery_ring_total": 1000, "recovery_max_ticks": 3}
    )
    running = Publisher(tight, service_logs=False)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def req(small: Publisher) -> AsyncIterator[Req]:
    asking = Req(small.recovery_endpoint)
    yield asking
    asking.close()


async def forwarded(publisher: Publisher, n: int) -> None:
    assert publisher.bridge is not None
    counters = publisher.bridge.counters
    await until(lambda: counters.forwarded >= n, what=f"{n} ticks forwarded")


async def test_since_answers_from_the_ring_and_says_too_old_beyond_it(
    small: Publisher, req: Req, nc: Client, routing: Routing
) -> None:
    await routing.put(RB, "sim-a")
    await until(lambda: small.bridge is not None and RB in small.bridge.table, what="route")
    for slot in range(1, 9):  # seqs 1..8; the ring keeps 4..8
        await send_tick(nc, tick("sim-a", slot))
    await forwarded(small, 8)

    hello, _ = await req.ask(op="hello", id=1)
    assert hello.ok and hello.id == 1 and hello.ring == 5 and hello.max_ticks == 3
    epoch = hello.epoch
    assert small.bridge is not None and epoch == small.bridge.epoch

    header, ticks = await req.ask(op="since", id=2, epoch=epoch, after=[(RB, 4)])
    assert header.ok and header.count == 3 and header.done == 0  # max 3 per reply
    assert [t.seq for _, t in ticks] == [5, 6, 7]
    assert {topic for topic, _ in ticks} == {RB.encode()}
    assert all(t.live and t.epoch == epoch for _, t in ticks)
    header, ticks = await req.ask(op="since", id=3, epoch=epoch, after=[(RB, 7)])
    assert header.done == 1 and [t.seq for _, t in ticks] == [8]

    header, ticks = await req.ask(op="since", id=4, epoch=epoch, after=[(RB, 2), (AU, 0)])
    assert header.ok and header.too_old == [RB] and header.done == 2 and ticks == []

    header, _ = await req.ask(op="since", id=5, epoch=epoch + 1, after=[(RB, 7)])
    assert not header.ok and header.code == "epoch" and "snapshot" in header.error


async def test_a_snapshot_is_the_latest_tick_of_each_topic_marked_not_live_and_paged(
    small: Publisher, req: Req, nc: Client, routing: Routing
) -> None:
    contracts = ["rb2605.SHFE", "rb2610.SHFE", "rb2701.SHFE", "rb2705.SHFE", AU]
    for vt_symbol in contracts:
        await routing.put(vt_symbol, "sim-a")
    await until(
        lambda: small.bridge is not None and all(c in small.bridge.table for c in contracts),
        what="routes",
    )
    for slot in (1, 2):
        for vt_symbol in contracts:
            await send_tick(nc, tick("sim-a", slot, vt_symbol))
    await forwarded(small, 2 * len(contracts))

    header, ticks = await req.ask(op="snapshot", id=9, prefixes=["rb"], topics=[AU])
    assert header.ok and header.id == 9 and header.count == 3 and header.more
    seen = [topic.decode() for topic, _ in ticks]
    while header.more:
        header, more = await req.ask(
            op="snapshot", prefixes=["rb"], topics=[AU], start_after=header.more
        )
        seen += [topic.decode() for topic, _ in more]
        ticks += more
    assert seen == sorted(contracts)  # every one once, in topic order
    assert all(not t.live and t.seq == 2 and t.volume == 2.0 for _, t in ticks)

    header, ticks = await req.ask(op="snapshot", topics=["zz9999.SHFE"])
    assert header.ok and header.count == 0 and not header.more


async def test_bad_requests_get_a_reason_and_the_server_goes_on(small: Publisher, req: Req) -> None:
    reply = await req.ask_raw(b"\x81\xa2op\xa4nope")  # {"op": "nope"}
    assert not reply.ok and reply.code == "bad_request" and "op" in reply.error
    reply = await req.ask_raw(b"not msgpack at all")
    assert not reply.ok and reply.code == "bad_request"
    reply = await req.ask_raw(msgspec.msgpack.encode({"op": "hello", "extra": 1}))
    assert not reply.ok and "extra" in reply.error
    too_many = [(f"x{i}.SHFE", 0) for i in range(4)]
    header, _ = await req.ask(
        op="since", epoch=small.bridge.epoch if small.bridge else 0, after=too_many
    )
    assert not header.ok and "at most 3" in header.error
    hello, _ = await req.ask(op="hello", id=7)
    assert hello.ok and hello.id == 7


async def test_a_dealer_that_forgets_the_empty_frame_is_told_how(small: Publisher) -> None:
    context = zmq.asyncio.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(small.recovery_endpoint)
    try:
        await dealer.send(recovery.encode(RecoveryRequest(op="hello")))
        frames = await asyncio.wait_for(dealer.recv_multipart(), 10)
        assert frames[0] == b""
        reply = recovery.decode_reply(frames[1])
        assert not reply.ok and "empty frame" in reply.error
    finally:
        dealer.close(0)
        context.term()


async def test_a_flood_of_requests_that_nobody_reads_does_not_stop_the_ticks(
    settings: Settings, routing: Routing, nc: Client, client: ZmqClient, publisher: Publisher
) -> None:
    """A client sends 20,000 snapshot requests and never reads a reply: the server's
    queues stay at their bounds (ZeroMQ drops the replies) and every tick still goes
    out on the PUB socket in order."""
    await client.join(nc)
    await routing.put(RB, "sim-a")
    await until(lambda: publisher.bridge is not None and RB in publisher.bridge.table, what="route")
    context = zmq.Context()
    flood = context.socket(zmq.DEALER)
    flood.setsockopt(zmq.LINGER, 0)
    flood.setsockopt(zmq.SNDHWM, 0)
    flood.connect(publisher.recovery_endpoint)
    request = recovery.encode(RecoveryRequest(op="snapshot", prefixes=[""]))
    try:
        for _ in range(20_000):
            flood.send_multipart([b"", request])
        for slot in range(1, 201):
            await send_tick(nc, tick("sim-a", slot))
        got = await client.ticks(200, limit_s=30)
        assert [t.seq for t in got] == list(range(1, 201))
        assert publisher.recovery is not None
        await until(
            lambda: publisher.recovery is not None and publisher.recovery.served > 100,
            what="served",
        )
    finally:
        flood.close(0)
        context.term()
