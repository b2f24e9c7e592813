"""The fan-out: one encoded string per event into every client's bounded queue; a
client without room is dropped, the others are not touched."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from tickhub_api import wire
from tickhub_api.feed import CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, Feed
from tickhub_api.live import LiveBoard
from tickhub_contracts import subjects
from tickhub_contracts.messages import ContractRoute, LogRecord, PublisherStats, TickDrops

NOW = datetime(2026, 11, 24, 1, 0, 0, tzinfo=UTC)


async def test_every_client_gets_the_same_string() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    one, two = feed.join("a"), feed.join("b")
    text = wire.event("log", LogRecord(at=NOW, level="ERROR", service="api", message="x"))
    feed.publish(text)
    assert one.queue.get_nowait() is text and two.queue.get_nowait() is text


async def test_a_full_queue_drops_that_client_only() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    slow, fast = feed.join("slow"), feed.join("fast")
    for number in range(25):
        feed.publish(str(number))
        fast.queue.get_nowait()  # the fast one keeps up
    assert slow.dropped.is_set() and slow.close_code == CLOSE_TOO_SLOW
    assert slow.queue.qsize() == 10  # never more than the limit, and no longer fed
    assert feed.subscribers == {fast} and not fast.dropped.is_set()
    assert feed.dropped_too_slow == 1


async def test_close_lets_every_client_go() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    client = feed.join("a")
    await feed.close()
    assert client.dropped.is_set() and client.close_code == CLOSE_GOING_AWAY
    assert feed.subscribers == frozenset()


async def test_a_route_change_is_told_by_contract() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    client = feed.join("a")
    route = ContractRoute(vt_symbol="rb2605.SHFE", source="sim-a", at=NOW)
    feed._on_route("SHFE.rb2605", route)
    feed._on_route("SHFE.rb2605", route)  # the same again (a resync): no news
    await asyncio.sleep(0.01)
    feed._on_route("SHFE.rb2605", None)
    feed._on_route("junk", None)  # a key that is no contract: ignored
    await asyncio.sleep(0.01)
    told = [json.loads(client.queue.get_nowait()) for _ in range(client.queue.qsize())]
    assert [(m["type"], m["vt_symbol"], m["data"] is None) for m in told] == [
        ("route", "rb2605.SHFE", False),
        ("route", "rb2605.SHFE", True),
    ]
    assert told[0]["data"]["source"] == "sim-a"


async def test_a_resync_of_a_whole_market_does_not_drop_a_client_that_keeps_up() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    client = feed.join("a")
    got: list[str] = []

    async def read() -> None:
        while len(got) < 500:
            got.append(await client.queue.get())

    reader = asyncio.create_task(read())
    for number in range(500):  # what Mirror reports after a reconnect, in one go
        vt = f"c{number}.SHFE"
        feed._on_route(f"SHFE.c{number}", ContractRoute(vt_symbol=vt, source="sim-a", at=NOW))
    await asyncio.wait_for(reader, 5)
    assert len(got) == 500 and not client.dropped.is_set()


async def test_a_ping_that_finds_the_queue_full_drops_the_client() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    client = feed.join("stuck")
    for number in range(10):
        feed.offer(client, str(number))
    assert not client.dropped.is_set()
    feed.offer(client, wire.ping(NOW, "ok"))
    assert client.dropped.is_set() and client.close_code == CLOSE_TOO_SLOW
    feed.offer(client, "later")  # a dropped client is fed no more
    assert client.queue.qsize() == 10 and feed.dropped_too_slow == 1


async def test_the_publishers_counts_go_out_when_they_change() -> None:
    feed = Feed(LiveBoard(), queue_limit=10)
    client = feed.join("a")

    def said(seconds: int, stale: int) -> PublisherStats:
        return PublisherStats(
            at=NOW + timedelta(seconds=seconds),
            started_at=NOW,
            sources={"sim-a": TickDrops(stale=stale)},
        )

    for seconds, stale in [(0, 1), (2, 1), (4, 1), (6, 2)]:  # every 2 s, one change
        await feed._on_publisher(subjects.PUBLISHER_STATS, said(seconds, stale))
    told = [json.loads(client.queue.get_nowait()) for _ in range(client.queue.qsize())]
    assert [(m["type"], m["data"]["sources"]["sim-a"]["stale"]) for m in told] == [
        ("publisher", 1),
        ("publisher", 2),
    ]
    held = feed.board.publisher
    assert held is not None and held.at == NOW + timedelta(seconds=6)
