"""bus.unless_stopped and service.run_until_stopped, without a server: the stop wins
over work that waits forever, and the cleanup always runs."""

from __future__ import annotations

import asyncio

import pytest

from tickhub_runtime import bus, service

BOUND = 5.0


async def test_the_result_when_the_work_ends_first() -> None:
    async def work() -> int:
        return 7

    assert await asyncio.wait_for(bus.unless_stopped(work(), asyncio.Event()), BOUND) == 7


async def test_none_and_the_work_cancelled_when_the_stop_comes_first() -> None:
    stop = asyncio.Event()
    cancelled = asyncio.Event()

    async def work() -> int:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 1

    waiting = asyncio.create_task(bus.unless_stopped(work(), stop))
    await asyncio.sleep(0)
    stop.set()
    assert await asyncio.wait_for(waiting, BOUND) is None
    assert cancelled.is_set()


async def test_an_error_of_the_work_reaches_the_caller() -> None:
    async def work() -> int:
        raise ValueError("port in use")

    with pytest.raises(ValueError, match="port in use"):
        await asyncio.wait_for(bus.unless_stopped(work(), asyncio.Event()), BOUND)


async def test_work_that_swallows_its_cancellation_is_waited_for_bounded() -> None:
    stop = asyncio.Event()
    release = asyncio.Event()
    tasks: list[asyncio.Task[object]] = []

    async def stubborn() -> int:
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        while True:
            try:
                await release.wait()
                return 3
            except asyncio.CancelledError:
                continue  # what nats-py sometimes does inside a request

    stop.set()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bus.unless_stopped(stubborn(), stop, cancel_s=0.2) is None
    assert loop.time() - started < BOUND
    release.set()  # let it end, so the test leaves no task behind
    assert await asyncio.wait_for(tasks[0], BOUND) == 3


async def test_a_result_that_comes_despite_the_cancellation_is_handed_over() -> None:
    stop = asyncio.Event()

    async def connects_anyway() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return "a connection made at the moment of the stop"
        return "never"

    stop.set()
    result = await asyncio.wait_for(bus.unless_stopped(connects_anyway(), stop), BOUND)
    assert result == "a connection made at the moment of the stop"


class Part:
    def __init__(self, start_error: Exception | None = None, start_blocks: bool = False) -> None:
        self.start_error = start_error
        self.start_blocks = start_blocks
        self.started = asyncio.Event()
        self.closed = 0

    async def start(self) -> None:
        self.started.set()
        if self.start_error is not None:
            raise self.start_error
        if self.start_blocks:
            await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed += 1


async def test_run_until_stopped_starts_waits_and_closes() -> None:
    part, stop = Part(), asyncio.Event()
    running = asyncio.create_task(service.run_until_stopped(part, stop))
    await asyncio.wait_for(part.started.wait(), BOUND)
    assert not running.done() and part.closed == 0
    stop.set()
    await asyncio.wait_for(running, BOUND)
    assert part.closed == 1


async def test_a_stop_during_the_start_cuts_it_short_and_still_closes() -> None:
    part, stop = Part(start_blocks=True), asyncio.Event()
    running = asyncio.create_task(service.run_until_stopped(part, stop))
    await asyncio.wait_for(part.started.wait(), BOUND)
    stop.set()
    await asyncio.wait_for(running, BOUND)
    assert part.closed == 1


async def test_a_failed_start_is_closed_and_raised() -> None:
    part = Part(start_error=RuntimeError("no bucket"))
    with pytest.raises(RuntimeError, match="no bucket"):
        await asyncio.wait_for(service.run_until_stopped(part, asyncio.Event()), BOUND)
    assert part.closed == 1
