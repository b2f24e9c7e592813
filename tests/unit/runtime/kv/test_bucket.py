"""kv.bucket.bounded: a bound that holds even when the call swallows its cancellation."""

from __future__ import annotations

import asyncio
import time

import pytest

from tickhub_runtime.kv.bucket import bounded


async def test_a_call_that_swallows_its_cancellation_is_left_behind_at_the_bound() -> None:
    release = asyncio.Event()

    async def stubborn() -> str:
        # What nats-py can do inside a request: catch the cancellation and go on waiting.
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue
        return "late"

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await bounded(stubborn(), 0.2)
    assert time.monotonic() - started < 2.0  # asyncio.wait_for would still be waiting
    release.set()  # let the abandoned call end, so the test leaves nothing running
    await asyncio.sleep(0)


async def test_a_result_and_an_error_come_through() -> None:
    async def answer() -> int:
        return 42

    async def fail() -> None:
        raise ValueError("no")

    assert await bounded(answer(), 1.0) == 42
    with pytest.raises(ValueError, match="no"):
        await bounded(fail(), 1.0)
