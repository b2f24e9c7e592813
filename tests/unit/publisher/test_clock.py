"""clock.py: the future-tick limit follows the clock, in the ticks' own zone, and stops."""

from __future__ import annotations

import asyncio
import datetime as dt

from tickhub_publisher.clock import REFRESH_S, FutureLimit


def test_the_limit_is_the_clock_plus_the_tolerance_in_any_zone() -> None:
    now = [1_800_000_000.0]
    limit = FutureLimit(2.0, clock=lambda: now[0])
    assert limit.not_after.timestamp() == 1_800_000_002.0
    now[0] += 10
    limit.update()
    assert limit.not_after.timestamp() == 1_800_000_012.0
    plus8 = dt.timezone(dt.timedelta(hours=8))
    assert limit.in_zone(plus8).tzinfo is plus8
    limit.update()  # stays in the zone it was last asked for
    assert limit.not_after.tzinfo is plus8
    assert limit.not_after.timestamp() == 1_800_000_012.0


async def test_started_it_follows_the_clock_and_stopped_it_does_not() -> None:
    reads: list[float] = []
    read_again = asyncio.Event()

    def clock() -> float:
        reads.append(1_800_000_000.0 + len(reads))
        if len(reads) >= 3:
            read_again.set()
        return reads[-1]

    limit = FutureLimit(2.0, clock=clock)  # the first read
    limit.start()
    await asyncio.wait_for(read_again.wait(), 5)  # two refreshes on the loop
    assert limit.not_after.timestamp() == reads[-1] + 2.0
    limit.stop()
    seen = len(reads)
    loop = asyncio.get_running_loop()
    waited = loop.create_future()
    loop.call_later(3 * REFRESH_S, waited.set_result, None)  # three refreshes' time
    await waited
    assert len(reads) == seen
