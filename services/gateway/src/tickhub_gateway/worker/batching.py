"""What a worker's pump sends for what it found queued: ticks as one batch per
exchange, other messages as they are. Pure: no NATS, no clock.

Order is kept where it means something: within an exchange the ticks go out in the
order the gateway delivered them, and a message marked ``ordered`` (a connection
change) goes out after every tick queued before it, so a consumer never sees a
"disconnected" overtaken by ticks received before it. Batches of different exchanges
are independent (different subjects, different publisher shards).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

from tickhub_contracts.messages import TICK_BATCH_MAX, Tick

Message = tuple[str, bytes, bool]
"""A queued message that is not a tick: (subject, payload, ordered). ``ordered``: the
ticks queued before it go out first (a connection change); a canary copy is not."""


class Batch(NamedTuple):
    """Ticks of one exchange, in their order, at most ``TICK_BATCH_MAX``."""

    exchange: str
    ticks: list[Tick]


def outgoing(
    queue: deque[Tick | Message], limit: int, batch_max: int = TICK_BATCH_MAX
) -> Iterator[Batch | Message]:
    """Take up to ``limit`` items off ``queue`` (left first; the gateway's thread may
    append meanwhile) and yield what to send, in the order to send it."""
    batches: dict[str, list[Tick]] = {}
    taken = 0
    while queue and taken < limit:
        item = queue.popleft()
        taken += 1
        if isinstance(item, Tick):
            batch = batches.get(item.exchange)
            if batch is None:
                batch = batches[item.exchange] = []
            batch.append(item)
            if len(batch) >= batch_max:
                yield Batch(item.exchange, batches.pop(item.exchange))
        else:
            if item[2]:
                yield from _flush(batches)
            yield item
    yield from _flush(batches)


def _flush(batches: dict[str, list[Tick]]) -> Iterator[Batch]:
    for exchange, ticks in batches.items():
        yield Batch(exchange, ticks)
    batches.clear()


def payloads(
    ticks: list[Tick], encode: Callable[[list[Tick]], bytes], max_bytes: int
) -> Iterator[tuple[bytes, int]]:
    """One batch's encoded payloads, each with its tick count: the whole batch, or,
    when it would exceed the server's ``max_bytes`` (ticks far larger than CTP's
    ~850 bytes), its halves, halved again until each fits. A single tick too large
    is still yielded: the server's refusal is then counted, not hidden."""
    payload = encode(ticks)
    if len(payload) <= max_bytes or len(ticks) == 1:
        yield payload, len(ticks)
        return
    half = len(ticks) // 2
    yield from payloads(ticks[:half], encode, max_bytes)
    yield from payloads(ticks[half:], encode, max_bytes)
