"""tickhub_runtime.listen against a real nats-server: typed messages reach the
handler, bad input and failing handlers are counted and logged bounded, and the
subscription carries on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec
import pytest
from nats.aio.client import Client

from tickhub_contracts import codec
from tickhub_contracts.messages import Reply
from tickhub_runtime import listen

BOUND = 10.0
LOGGER = "t.listen"


class Ping(msgspec.Struct, kw_only=True):
    n: int


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def until(condition: Callable[[], bool], what: str, within: float = BOUND) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


async def test_typed_messages_reach_a_plain_and_a_coroutine_handler(nc: Client) -> None:
    seen: list[tuple[str, int]] = []
    done = asyncio.Event()

    def on_ping(subject: str, ping: Ping) -> None:
        seen.append((subject, ping.n))

    async def on_ping_async(subject: str, ping: Ping) -> None:
        seen.append((subject, -ping.n))
        if ping.n == 2:
            done.set()

    plain = await listen.subscribe(nc, "t.ping.plain", Ping, on_ping)
    coro = await listen.subscribe(nc, "t.ping.coro", Ping, on_ping_async)
    try:
        await nc.publish("t.ping.plain", codec.encode(Ping(n=1)))
        await nc.publish("t.ping.coro", codec.encode(Ping(n=2)))
        await asyncio.wait_for(done.wait(), BOUND)
        assert seen == [("t.ping.plain", 1), ("t.ping.coro", -2)]
        assert plain.counts == listen.Counts(received=1, handled=1)
        assert coro.counts == listen.Counts(received=1, handled=1)
        assert listen.total([plain, coro]).handled == 2
    finally:
        await plain.close()
        await coro.close()


async def test_bad_messages_are_counted_and_their_warnings_bounded(
    nc: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    handled: list[int] = []
    listener = await listen.subscribe(
        nc,
        "t.ping.>",
        Ping,
        lambda subject, ping: handled.append(ping.n),
        what="ping",
        log=logging.getLogger(LOGGER),
        warn_every_s=30.0,
    )
    clock = listener.warnings.clock = Clock()
    try:
        await nc.publish("t.ping.a", codec.encode(Ping(n=1)))
        for i in range(50):  # a flood: not JSON, then JSON of another shape
            await nc.publish("t.ping.a" if i % 2 else "t.ping.b", b"{not json" if i < 25 else b"[]")
        await nc.publish("t.ping.a", codec.encode(Ping(n=2)))
        await until(lambda: listener.counts.received == 52, "every message taken")
        assert listener.counts == listen.Counts(received=52, handled=2, undecodable=50)
        assert handled == [1, 2]  # the good ones around the flood still got through
        # The first bad one at once, then nothing while the interval runs.
        (first,) = lines(caplog)
        assert first.levelno == logging.WARNING
        assert first.getMessage().startswith("dropped a ping on t.ping.b that does not decode: ")
        assert "JSON" in first.getMessage()
        # Past the interval: one line, with the count of those held back.
        clock.now += 30.0
        await nc.publish("t.ping.c", b"[]")
        await until(lambda: listener.counts.undecodable == 51, "one more bad one")
        second = lines(caplog)[1].getMessage()
        assert second.startswith("dropped a ping on t.ping.c that does not decode: ")
        assert second.endswith("(and 49 more like it in the last 30 s)")
        assert len(lines(caplog)) == 2
    finally:
        await listener.close()


async def test_a_failing_handler_does_not_end_the_subscription(
    nc: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    handled: list[int] = []
    last = asyncio.Event()

    async def handler(subject: str, ping: Ping) -> None:
        if ping.n <= 3:
            raise RuntimeError(f"bug on {ping.n}")
        handled.append(ping.n)
        if ping.n == 5:
            last.set()

    listener = await listen.subscribe(
        nc, "t.work", Ping, handler, what="work item", log=logging.getLogger(LOGGER)
    )
    try:
        for n in range(1, 6):
            await nc.publish("t.work", codec.encode(Ping(n=n)))
        await asyncio.wait_for(last.wait(), BOUND)
        assert handled == [4, 5]
        assert listener.counts == listen.Counts(received=5, handled=2, failed=3)
        (line,) = lines(caplog)  # bounded: one line for three failures
        assert line.getMessage() == (
            "handling a work item from t.work failed: RuntimeError('bug on 1')"
        )
        assert line.exc_info is not None and line.exc_info[0] is RuntimeError
        assert listener.warnings.held() == {"failed": 2}
    finally:
        await listener.close()
    # What was held back is told at close rather than lost.
    closing = lines(caplog)[-1].getMessage()
    assert closing == "work item on t.work: 2 more failed line(s) in the last 0 s were not logged"


async def test_close_stops_the_deliveries(nc: Client) -> None:
    seen: list[int] = []
    listener = await listen.subscribe(nc, "t.closing", Ping, lambda s, p: seen.append(p.n))
    await nc.publish("t.closing", codec.encode(Ping(n=1)))
    await until(lambda: seen == [1], "the first one")
    await listener.close()
    assert listener.sub is None
    # A second listener proves the next message went out, and past the closed one.
    witness = asyncio.Event()
    other = await listen.subscribe(nc, "t.closing", Ping, lambda s, p: witness.set())
    try:
        await nc.publish("t.closing", codec.encode(Ping(n=2)))
        await asyncio.wait_for(witness.wait(), BOUND)
        assert seen == [1]
        assert listener.counts.received == 1
    finally:
        await other.close()
    await listener.close()  # twice is harmless


def refuse(reason: str) -> Reply:
    return Reply(ok=False, error=reason)


async def test_serve_answers_refuses_bad_requests_and_failures(nc: Client) -> None:
    async def responder(subject: str, ping: Ping) -> Reply:
        if ping.n < 0:
            raise ValueError("negative")
        return Reply(ok=True, error=f"got {ping.n} on {subject}")

    listener = await listen.serve(nc, "t.control", Ping, responder, refuse=refuse, what="command")
    try:

        async def ask(payload: bytes) -> Reply:
            msg = await nc.request("t.control", payload, timeout=BOUND)
            return codec.decode(msg.data, Reply)

        assert await ask(codec.encode(Ping(n=3))) == Reply(ok=True, error="got 3 on t.control")
        bad = await ask(b'{"n": "three"}')
        assert not bad.ok and bad.error is not None and bad.error.startswith("bad command: ")
        failed = await ask(codec.encode(Ping(n=-1)))
        assert failed == Reply(ok=False, error="command failed: ValueError: negative")
        await until(lambda: listener.counts.received == 3, "three requests")
        assert listener.counts == listen.Counts(received=3, handled=1, undecodable=1, failed=1)
    finally:
        await listener.close()


async def test_a_slow_request_does_not_hold_up_the_next(nc: Client) -> None:
    release = asyncio.Event()

    async def responder(subject: str, ping: Ping) -> Reply:
        if ping.n == 1:
            await release.wait()
        return Reply(ok=True, error=str(ping.n))

    listener = await listen.serve(nc, "t.slow", Ping, responder, refuse=refuse)
    try:
        slow = asyncio.create_task(nc.request("t.slow", codec.encode(Ping(n=1)), timeout=BOUND))
        await until(lambda: listener.in_flight == 1, "the slow one under way")
        fast = await nc.request("t.slow", codec.encode(Ping(n=2)), timeout=BOUND)
        assert codec.decode(fast.data, Reply).error == "2"
        assert not slow.done()
        release.set()
        assert codec.decode((await slow).data, Reply).error == "1"
    finally:
        await listener.close()


async def test_close_waits_for_handlers_under_way_then_cancels_them_bounded(
    nc: Client,
) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def responder(subject: str, ping: Ping) -> Reply:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Reply(ok=True)

    listener = await listen.serve(nc, "t.stuck", Ping, responder, refuse=refuse)
    await nc.publish("t.stuck", codec.encode(Ping(n=1)))
    await asyncio.wait_for(started.wait(), BOUND)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await listener.close(step_s=0.2)
    assert cancelled.is_set()
    assert loop.time() - began < BOUND
    assert listener.in_flight == 0
