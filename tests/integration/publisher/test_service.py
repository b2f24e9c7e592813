"""`python -m tickhub_publisher` as its own process, the way `tickhub up` runs it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
import zmq
import zmq.asyncio
from nats.aio.client import Client

from tickhub_contracts import subjects
from tickhub_runtime.settings import Settings

from .feed import PROBE, RB, Routing, ZmqClient, batch, send_tick, tick, until
from .process import Service, start_service

MiB = 1024 * 1024


@pytest.fixture
async def service(settings: Settings, routing: Routing) -> AsyncIterator[Service]:
    running = await start_service(settings)
    yield running
    await running.stop()


async def test_the_service_forwards_and_stops_cleanly_on_sigterm(
    service: Service, nc: Client, routing: Routing
) -> None:
    client = ZmqClient(await service.endpoint())
    try:
        await client.join(nc)
        await routing.put(RB, "sim-a", "sim-b")
        await until(lambda: "eligible now sim-a,sim-b" in service.text, limit_s=20)
        await send_tick(nc, tick("sim-a", 1))
        [got] = await client.ticks(1)
        assert (got.source, got.seq) == ("sim-a", 1)
    finally:
        client.close()
    assert await service.stop() == 0
    assert "Traceback" not in service.text
    assert "stats received=" in service.text  # the final counters
    assert "stopped" in service.lines[-1]


async def test_sigterm_ends_it_while_nats_is_still_unreachable(settings: Settings) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    nowhere = settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{port}"})
    service = await start_service(nowhere)
    # nats-py retries a first connection quietly: the service says it is starting,
    # then nothing until NATS answers.
    await until(lambda: "starting (nats" in service.text, limit_s=30, what="the start line")
    started = time.monotonic()
    assert await service.stop() == 0
    assert time.monotonic() - started < 10
    assert "Traceback" not in service.text
    assert "stopped before NATS was reached" in service.text


async def test_a_port_in_use_is_a_one_line_error(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = settings.model_copy(update={"zmq_pub": f"tcp://127.0.0.1:{port}"})
        service = await start_service(busy)
        code = await asyncio.wait_for(service.process.wait(), 30)
        await service._reader
    assert code == 2
    assert "Traceback" not in service.text
    errors = [line for line in service.lines if " ERROR " in line]
    assert len(errors) == 1
    assert f"tcp://127.0.0.1:{port}" in errors[0]
    assert "in use" in errors[0]


async def test_a_subscriber_that_never_reads_does_not_grow_the_publishers_memory(
    settings: Settings, nc: Client, routing: Routing
) -> None:
    """Push ~240 MiB of ticks past a subscriber that reads nothing.

    ZeroMQ may queue SNDHWM (here 500) messages for it, plus what the kernel's socket
    buffers hold; without that bound the publisher would keep all 240 MiB. A second,
    healthy subscriber paces the test and must get every tick. It takes the contract
    itself only: rb2605 soon becomes its product's main contract, and a burst sent
    twice (its alias copies, rb888.SHFE, as the stuck subscriber gets them) would
    reach SNDHWM.
    """
    service = await start_service(settings, TICKHUB_ZMQ_SNDHWM="500")
    stuck_context = zmq.Context()
    stuck = stuck_context.socket(zmq.SUB)
    healthy = ZmqClient(await service.endpoint(), [RB.encode(), PROBE.encode()])
    try:
        endpoint = await service.endpoint()
        stuck.setsockopt(zmq.RCVHWM, 1)
        stuck.setsockopt(zmq.RCVBUF, 4096)
        stuck.setsockopt(zmq.SUBSCRIBE, b"")
        stuck.connect(endpoint)
        await healthy.join(nc)
        await routing.put(RB, "sim-a")
        await until(lambda: "eligible now sim-a " in service.text, limit_s=20)

        padding = "x" * 6000  # ~6 KiB ticks: memory grows fast if anything keeps them
        subject = subjects.ticks("sim-a", "SHFE")
        # Bursts below SNDHWM, so the healthy subscriber never loses a tick.
        chunk, total = 250, 40_000
        baseline = 0
        peak = 0
        received = 0
        started = time.monotonic()
        for first in range(1, total + 1, chunk):
            # Batches of ten, as a worker's wake-up in a burst would send them.
            for ten in range(first, first + chunk, 10):
                ticks = [tick("sim-a", slot, name=padding) for slot in range(ten, ten + 10)]
                await nc.publish(subject, batch(*ticks))
            await nc.flush()
            got = await healthy.ticks(chunk, limit_s=60)
            assert [int(t.volume) for t in got] == list(range(first, first + chunk))
            received += len(got)
            if first == 1 + 8 * chunk:
                baseline = service.rss()  # after the stuck queue and buffers have filled
            peak = max(peak, service.rss())
        assert received == total
        growth = peak - baseline
        print(
            f"rss baseline {baseline / MiB:.1f} MiB, peak {peak / MiB:.1f} MiB, "
            f"{total} ticks in {time.monotonic() - started:.1f} s"
        )
        assert growth < 48 * MiB, f"publisher RSS grew {growth / MiB:.1f} MiB"
    finally:
        healthy.close()
        stuck.close(0)
        stuck_context.term()
        assert await service.stop() == 0
