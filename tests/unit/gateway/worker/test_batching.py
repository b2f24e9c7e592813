"""The pump's plan: whatever was queued, every tick goes out once, in batches per
exchange that keep the gateway's order, and a connection change after the ticks
before it."""

from __future__ import annotations

import datetime as dt
from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts import codec
from tickhub_contracts.messages import Tick, TickBatch
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.worker.batching import Batch, Message, outgoing, payloads

AT = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
EXCHANGES = ["SHFE", "DCE", "CZCE"]


def tick(n: int, exchange: str) -> Tick:
    return Tick(symbol=f"c{n}", exchange=exchange, datetime=AT, volume=float(n))


@st.composite
def queues(draw: st.DrawFn) -> list[Tick | Message]:
    """Ticks of a few exchanges, numbered in arrival order, with connection changes
    (ordered) and canary copies (not) among them."""
    items: list[Tick | Message] = []
    for n, kind in enumerate(draw(st.lists(st.sampled_from(["tick", "conn", "canary"]),
                                           max_size=300))):  # fmt: skip
        if kind == "tick":
            items.append(tick(n, draw(st.sampled_from(EXCHANGES))))
        else:
            items.append((kind, str(n).encode(), kind == "conn"))
    return items


def flatten(sends: list[Batch | Message]) -> list[Tick | Message]:
    out: list[Tick | Message] = []
    for send in sends:
        out += send.ticks if isinstance(send, Batch) else [send]
    return out


@given(queues(), st.integers(1, 7), st.integers(1, 400))
def test_every_item_once_in_order_per_exchange_and_changes_after_what_came_before(
    items: list[Tick | Message], batch_max: int, limit: int
) -> None:
    queue: deque[Tick | Message] = deque(items)
    sends: list[Batch | Message] = []
    while queue:  # as the pump does: a pass of at most ``limit``, then the next
        sends += outgoing(queue, limit, batch_max)
    sent = flatten(sends)
    assert sorted(map(id, sent)) == sorted(map(id, items))  # all of them, each once
    for send in sends:
        if isinstance(send, Batch):
            assert 1 <= len(send.ticks) <= batch_max
            assert {t.exchange for t in send.ticks} == {send.exchange}
    position = {id(item): k for k, item in enumerate(sent)}
    for exchange in EXCHANGES:
        mine = [t.volume for t in sent if isinstance(t, Tick) and t.exchange == exchange]
        assert mine == sorted(mine)  # the gateway's order
    for k, item in enumerate(items):
        if isinstance(item, tuple) and item[2]:  # a connection change
            before = [i for i in items[:k] if isinstance(i, Tick)]
            assert all(position[id(t)] < position[id(item)] for t in before)


def test_a_burst_of_one_exchange_goes_out_in_full_batches() -> None:
    queue: deque[Tick | Message] = deque(tick(n, "SHFE") for n in range(450))
    sends = list(outgoing(queue, 10_000, batch_max=200))
    assert [len(s.ticks) for s in sends if isinstance(s, Batch)] == [200, 200, 50]


def encode(ticks: list[Tick]) -> bytes:
    return codec.encode(TickBatch(ticks=ticks))


@given(st.integers(1, 60), st.integers(100, 20_000))
def test_a_batch_too_large_for_the_server_goes_out_in_parts_that_fit(
    n: int, max_bytes: int
) -> None:
    ticks = [tick(k, "SHFE") for k in range(n)]
    parts = list(payloads(ticks, encode, max_bytes))
    decoded = [codec.tick_batch_decoder.decode(p).ticks for p, _ in parts]
    assert [t for batch in decoded for t in batch] == ticks  # all, once, in order
    assert [count for _, count in parts] == [len(batch) for batch in decoded]
    for payload, count in parts:
        assert len(payload) <= max_bytes or count == 1
    if len(encode(ticks)) <= max_bytes:
        assert len(parts) == 1
