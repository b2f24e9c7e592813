"""Each source's ticks the publisher did not send, and why (issue 11): the publisher's
``PublisherStats`` on the real NATS (``tickhub.publisher.stats``) shown per source as
``drops`` in ``GET /api/gateways`` and the ``/ws`` snapshot, and sent on over ``/ws``
when the counts change. A real uvicorn, nats-server and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import LogRecord, PublisherStats, TickDrops
from tickhub_runtime.settings import Settings

from . import bodies
from .conftest import AUTH, wait_for
from .wsclient import Message, Served, next_of, open_feed, receive, serving

ZERO = {"duplicate": 0, "stale": 0, "future": 0, "out_of_session": 0, "replay": 0}


@pytest.fixture
async def api(api_settings: Settings) -> AsyncIterator[Served]:
    async with serving(api_settings) as served:
        await wait_for(lambda: served.link.connected, 20)
        yield served


@pytest.fixture
async def client(api: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.http_url, headers=AUTH) as c:
        yield c


def now() -> datetime:
    return datetime.now(UTC)


STARTED = now() - timedelta(hours=1)
"""The publisher's start: one publisher throughout (a new start is news of itself)."""


def stats(sources: dict[str, TickDrops], at: datetime | None = None) -> PublisherStats:
    return PublisherStats(
        at=at or now(),
        started_at=STARTED,
        forwarded=1_804_411,
        sources=sources,
    )


async def create(client: httpx.AsyncClient, name: str, priority: int) -> None:
    response = await client.post("/api/accounts", json=bodies.sim(name=name, priority=priority))
    assert response.status_code == 201, response.text


async def views(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/gateways")
    assert response.status_code == 200, response.text
    return {view["name"]: view for view in response.json()}


async def test_drops_are_null_before_the_publisher_says_anything(
    api: Served, client: httpx.AsyncClient
) -> None:
    await create(client, "sim-a", 1)
    [view] = (await views(client)).values()
    assert (view["drops"], view["drops_at"]) == (None, None)
    ws, snapshot = await open_feed(api.ws_url)
    await ws.close()
    assert snapshot["gateways"][0]["drops"] is None


async def test_the_publishers_counts_appear_per_source(
    api: Served, client: httpx.AsyncClient, nc: Client
) -> None:
    await create(client, "sim-a", 1)
    await create(client, "sim-b", 2)
    said = stats(
        {
            "sim-a": TickDrops(duplicate=12, out_of_session=3, replay=40),
            "sim-x": TickDrops(stale=9),  # a source with no account: shown nowhere
        }
    )
    await nc.publish(subjects.PUBLISHER_STATS, codec.encode(said))
    await wait_for(lambda: api.link.board.publisher is not None)

    by_name = await views(client)
    assert by_name["sim-a"]["drops"] == {**ZERO, "duplicate": 12, "out_of_session": 3, "replay": 40}
    # The publisher has seen no tick of sim-b: nothing of it was dropped.
    assert by_name["sim-b"]["drops"] == ZERO
    for view in by_name.values():
        assert datetime.fromisoformat(view["drops_at"]) == said.at

    ws, snapshot = await open_feed(api.ws_url)
    await ws.close()
    assert snapshot["gateways"] == list(by_name.values())


async def test_counts_the_publisher_stopped_repeating_are_withheld(
    api: Served, client: httpx.AsyncClient, nc: Client
) -> None:
    await create(client, "sim-a", 1)
    old = stats({"sim-a": TickDrops(stale=1)}, at=now() - timedelta(minutes=5))
    await nc.publish(subjects.PUBLISHER_STATS, codec.encode(old))
    await wait_for(lambda: api.link.board.publisher is not None)
    view = (await views(client))["sim-a"]
    assert view["drops"] is None  # no word from the publisher lately ...
    assert datetime.fromisoformat(view["drops_at"]) == old.at  # ... since then


async def test_ws_clients_hear_of_the_counts_when_they_change(api: Served, nc: Client) -> None:
    ws, _ = await open_feed(api.ws_url)
    async with ws:
        first = stats({"sim-a": TickDrops(duplicate=1)})
        await nc.publish(subjects.PUBLISHER_STATS, codec.encode(first))
        got = await next_of(ws, "publisher")
        assert got["data"]["sources"] == {"sim-a": {**ZERO, "duplicate": 1}}
        assert datetime.fromisoformat(got["data"]["at"]) == first.at

        # The same counts again (the publisher repeats them every 2 s): no message.
        await nc.publish(subjects.PUBLISHER_STATS, codec.encode(stats(first.sources)))
        changed = stats({"sim-a": TickDrops(duplicate=2), "sim-b": TickDrops(replay=5)})
        await nc.publish(subjects.PUBLISHER_STATS, codec.encode(changed))
        # NATS keeps one connection's order and the api takes them in turn: what came
        # before the change's message has been handled when it arrives.
        received: list[Message] = []
        while not received or received[-1]["type"] != "publisher":
            received.append(await receive(ws))
        assert received[-1]["data"]["sources"]["sim-b"]["replay"] == 5
        assert [m for m in received[:-1] if m["type"] == "publisher"] == []
        held = api.link.board.publisher
        assert held is not None and held.at == changed.at


async def test_a_message_that_is_no_publisher_stats_changes_nothing(
    api: Served, client: httpx.AsyncClient, nc: Client
) -> None:
    await create(client, "sim-a", 1)
    await nc.publish(subjects.PUBLISHER_STATS, b"{not json")
    await nc.publish(
        subjects.PUBLISHER_STATS,
        codec.encode(LogRecord(at=now(), level="INFO", service="x", message="wrong type")),
    )
    good = stats({"sim-a": TickDrops(future=2)})
    await nc.publish(subjects.PUBLISHER_STATS, codec.encode(good))
    await wait_for(lambda: api.link.board.publisher is not None)
    held = api.link.board.publisher
    assert held is not None and held.at == good.at
    assert (await views(client))["sim-a"]["drops"] == {**ZERO, "future": 2}
