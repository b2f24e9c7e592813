"""/ws (docs/ws.md) on a real uvicorn server with real NATS and PostgreSQL: auth and
its refusals, the snapshot, every event as the services publish it, a slow client
dropped while a fast one keeps up, a dead one removed, the feed across a NATS
restart and without NATS at all, and the close when the api stops."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets
from nats.aio.client import Client

from tickhub_api.feed import CLOSE_TOO_SLOW
from tickhub_api.ws import CLOSE_UNAUTHORIZED, WsTiming
from tickhub_cli.natsserver import NatsServer
from tickhub_cli.ports import free_port
from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    ContractRoute,
    FailoverEvent,
    GatewayStatus,
    LogRecord,
    RestartEvent,
    SourceHealth,
)
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

from . import bodies
from .conftest import AUTH, TOKEN, wait_for
from .wsclient import Message, Served, close_code, next_of, open_feed, receive, serving


@pytest.fixture
async def api(api_settings: Settings) -> AsyncIterator[Served]:
    async with serving(api_settings) as served:
        await wait_for(lambda: served.link.connected, 20)
        yield served


def now() -> datetime:
    return datetime.now(UTC)


def status(source: str, **kw: Any) -> GatewayStatus:
    values: dict[str, Any] = dict(
        gateway_type="sim", priority=1, state="running", pid=4242, connection="connected"
    )
    values.update(kw)
    return GatewayStatus(source=source, at=now(), **values)


def verdict(source: str, state: str = "HEALTHY", **kw: Any) -> SourceHealth:
    values: dict[str, Any] = dict(cause="ok", reason="connected, beating, canary fresh")
    values.update(kw)
    return SourceHealth(source=source, state=state, at=now(), since=now(), **values)  # type: ignore[arg-type]


def route(vt_symbol: str, source: str) -> ContractRoute:
    return ContractRoute(vt_symbol=vt_symbol, source=source, at=now(), eligible=[source])


def failover(reason: str = "sim-a UNHEALTHY: heartbeat lost") -> FailoverEvent:
    return FailoverEvent(
        at=now(),
        kind="failover",
        mode="hot",
        from_source="sim-a",
        to_source="sim-b",
        contracts=["rb2605.SHFE"],
        reason=reason,
        cause="heartbeat_lost",
        detected_ms=1200.0,
    )


def restart(source: str = "sim-a") -> RestartEvent:
    return RestartEvent(at=now(), source=source, action="ordered", attempt=1, reason="cool-down")


def log_record(message: str, level: str = "ERROR") -> LogRecord:
    return LogRecord(at=now(), level=level, service="health", message=message, source="sim-a")  # type: ignore[arg-type]


async def create_account(served: Served, **body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=served.http_url, headers=AUTH) as client:
        response = await client.post("/api/accounts", json=bodies.sim(**body))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# --- authentication ------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        json.dumps({"type": "auth", "token": "wrong-token-0123456789"}),
        json.dumps({"type": "auth", "token": TOKEN[:-1]}),
        json.dumps({"type": "auth"}),
        json.dumps({"type": "hello", "token": TOKEN}),
        json.dumps(["auth", TOKEN]),
        "not json",
    ],
)
async def test_a_wrong_first_message_is_closed_with_4401(api: Served, first: str) -> None:
    async with websockets.connect(api.ws_url, ping_interval=None) as ws:
        await ws.send(first)
        assert await close_code(ws) == CLOSE_UNAUTHORIZED
        assert ws.close_reason == "unauthorized"
    assert api.feed.subscribers == frozenset()


async def test_a_wrong_header_is_closed_with_4401_at_once(api_settings: Settings) -> None:
    # A long auth timeout: a close well before it proves the header was judged at once.
    async with serving(api_settings, WsTiming(auth_timeout_s=60)) as api:
        headers = {"Authorization": "Bearer wrong-token-0123456789"}
        async with websockets.connect(api.ws_url, additional_headers=headers) as ws:
            started = time.monotonic()
            assert await close_code(ws, within=30) == CLOSE_UNAUTHORIZED
            assert time.monotonic() - started < 30


async def test_no_auth_message_is_closed_with_4401_after_the_timeout(api: Served) -> None:
    async with websockets.connect(api.ws_url, ping_interval=None) as ws:
        started = time.monotonic()
        assert await close_code(ws, within=10) == CLOSE_UNAUTHORIZED
        assert time.monotonic() - started >= 0.4  # FAST.auth_timeout_s, less rounding


async def test_a_script_authenticates_with_the_header(api: Served) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with websockets.connect(api.ws_url, additional_headers=headers) as ws:
        assert (await receive(ws))["type"] == "snapshot"
        assert len(api.feed.subscribers) == 1


async def test_plain_http_on_ws_still_needs_the_token(api: Served) -> None:
    async with httpx.AsyncClient(base_url=api.http_url) as client:
        assert (await client.get("/ws")).status_code == 401


# --- what a client receives ------------------------------------------------------------


async def test_the_snapshot_holds_the_pool_health_routing_and_recent_events(
    api: Served, nc: Client
) -> None:
    await create_account(api, name="sim-a", priority=1)
    health_bucket = await kv.open_bucket(nc, buckets.HEALTH, create=True)
    routing_bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    rejected = verdict(
        "sim-a", "UNHEALTHY", cause="login_rejected", reason="login rejected", needs_operator=True
    )
    await health_bucket.put(buckets.health_key("sim-a"), codec.encode(rejected))
    await routing_bucket.put(
        buckets.routing_key("rb2605.SHFE"), codec.encode(route("rb2605.SHFE", "sim-a"))
    )
    await nc.publish(subjects.status("sim-a"), codec.encode(status("sim-a")))
    await nc.publish(subjects.FAILOVER_EVENT, codec.encode(failover()))
    await nc.publish(subjects.restart("sim-a"), codec.encode(restart()))
    await nc.publish(subjects.log("health", "sim-a"), codec.encode(log_record("canary silent")))
    board = api.link.board
    await wait_for(
        lambda: (
            board.health("sim-a") is not None
            and board.active_sources == {"rb2605.SHFE": "sim-a"}
            and board.status("sim-a") is not None
            and len(board.failovers) == 1
            and len(board.restarts) == 1
            and any(record.message == "canary silent" for record in board.logs)
        )
    )

    ws, snapshot = await open_feed(api.ws_url)
    await ws.close()
    assert (snapshot["nats"], snapshot["database"]) == ("ok", "ok")
    [gateway] = snapshot["gateways"]
    assert (gateway["name"], gateway["state"], gateway["pid"]) == ("sim-a", "running", 4242)
    assert (gateway["health"], gateway["needs_operator"]) == ("UNHEALTHY", True)
    assert gateway["health_reason"] == "login rejected"
    assert gateway["active_symbols"] == ["rb2605.SHFE"]
    async with httpx.AsyncClient(base_url=api.http_url, headers=AUTH) as client:
        assert snapshot["gateways"] == (await client.get("/api/gateways")).json()
    assert [(h["source"], h["state"]) for h in snapshot["health"]] == [("sim-a", "UNHEALTHY")]
    assert [(r["vt_symbol"], r["source"]) for r in snapshot["routes"]] == [("rb2605.SHFE", "sim-a")]
    assert [f["to_source"] for f in snapshot["failovers"]] == ["sim-b"]
    assert [r["action"] for r in snapshot["restarts"]] == ["ordered"]
    assert "canary silent" in [record["message"] for record in snapshot["logs"]]
    datetime.fromisoformat(snapshot["at"])


async def test_every_event_arrives_as_the_services_publish_it(api: Served, nc: Client) -> None:
    routing_bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    health_bucket = await kv.open_bucket(nc, buckets.HEALTH, create=True)
    ws, _ = await open_feed(api.ws_url)
    async with ws:
        await nc.publish(subjects.status("sim-b"), codec.encode(status("sim-b", priority=2)))
        got = await next_of(ws, "status", lambda m: m["data"]["source"] == "sim-b")
        assert got["data"]["priority"] == 2 and got["data"]["state"] == "running"

        degraded = verdict("sim-b", "DEGRADED", cause="lagging", reason="lags 600 ms")
        await nc.publish(subjects.health("sim-b"), codec.encode(degraded))
        got = await next_of(ws, "health", lambda m: m["data"]["source"] == "sim-b")
        assert (got["data"]["state"], got["data"]["cause"]) == ("DEGRADED", "lagging")

        # The bucket alone (the health service's state after a restart) is news too.
        healthy = verdict("sim-b", "HEALTHY")
        await health_bucket.put(buckets.health_key("sim-b"), codec.encode(healthy))
        got = await next_of(ws, "health", lambda m: m["data"]["state"] == "HEALTHY")
        assert got["data"]["source"] == "sim-b"

        key = buckets.routing_key("m2605.DCE")
        await routing_bucket.put(key, codec.encode(route("m2605.DCE", "sim-b")))
        got = await next_of(ws, "route", lambda m: m["data"] is not None)
        assert (got["vt_symbol"], got["data"]["source"]) == ("m2605.DCE", "sim-b")
        await routing_bucket.delete(key)
        got = await next_of(ws, "route", lambda m: m["data"] is None)
        assert got["vt_symbol"] == "m2605.DCE"

        await nc.publish(subjects.FAILOVER_EVENT, codec.encode(failover("moved")))
        got = await next_of(ws, "failover")
        assert (got["data"]["reason"], got["data"]["detected_ms"]) == ("moved", 1200.0)

        await nc.publish(subjects.restart("sim-a"), codec.encode(restart()))
        got = await next_of(ws, "restart")
        assert (got["data"]["source"], got["data"]["attempt"]) == ("sim-a", 1)

        await nc.publish(subjects.log("health", "sim-a"), codec.encode(log_record("marker-1")))
        got = await next_of(ws, "log", lambda m: m["data"]["message"] == "marker-1")
        assert (got["data"]["level"], got["data"]["service"]) == ("ERROR", "health")

        created = await create_account(api, name="sim-c", priority=3)
        got = await next_of(ws, "accounts")
        assert got["data"]["account_id"] == created["id"]
        assert (got["data"]["name"], got["data"]["action"]) == ("sim-c", "created")

        got = await next_of(ws, "ping", within=5)
        assert got["nats"] == "ok"
        datetime.fromisoformat(got["at"])


async def test_malformed_bus_messages_are_not_forwarded(api: Served, nc: Client) -> None:
    ws, _ = await open_feed(api.ws_url)
    async with ws:
        await nc.publish(subjects.status("sim-a"), b"{not json")
        # A status published under another source's subject is not that source's.
        await nc.publish(subjects.status("sim-x"), codec.encode(status("sim-y")))
        await nc.publish(subjects.log("health", "sim-a"), codec.encode(log_record("after")))
        received: list[Message] = []
        while not received or received[-1]["type"] != "log":
            received.append(await receive(ws))
        assert [m for m in received if m["type"] == "status"] == []
        assert api.link.board.status("sim-y") is None


# --- slow, dead and many clients -------------------------------------------------------


def _small_socket(port: int) -> socket.socket:
    """A connected socket with a tiny receive buffer: a client that does not read
    makes the server's sends wait after a few kilobytes, not megabytes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def test_a_slow_client_is_dropped_and_the_others_keep_receiving(
    api_settings: Settings, nc: Client
) -> None:
    limit = 10
    settings = api_settings.model_copy(update={"ws_queue_limit": limit, "ws_recent_logs": 5})
    size = 16 * 1024
    async with serving(settings) as api:
        await wait_for(lambda: api.link.connected, 20)
        fast, _ = await open_feed(api.ws_url, max_size=None)
        [fast_sub] = api.feed.subscribers
        slow, _ = await open_feed(api.ws_url, sock=_small_socket(api.port), max_queue=1)
        [slow_sub] = api.feed.subscribers - {fast_sub}

        seen: list[int] = []

        async def read_fast() -> None:
            while True:
                message = await receive(fast, 60)
                text = message["data"]["message"] if message["type"] == "log" else ""
                if text.startswith("flood "):
                    seen.append(int(text.split()[1]))

        reader = asyncio.create_task(read_fast())
        sent = 0
        widest = 0
        try:
            # Batches until the slow client falls `limit` behind; each batch must reach
            # the fast client promptly meanwhile.
            while not slow_sub.dropped.is_set():
                assert sent < 20_000, "the slow client was never dropped"
                for _ in range(20):
                    pad = os.urandom(size // 2).hex()
                    record = log_record(f"flood {sent} {pad}", level="INFO")
                    await nc.publish(subjects.log("bench", "_"), codec.encode(record))
                    sent += 1
                await nc.flush()
                await wait_for(lambda: len(seen) == sent, within=10)  # noqa: B023
                widest = max(widest, *api.write_buffers(), slow_sub.queue.qsize())
                assert slow_sub.queue.qsize() <= limit
            assert seen == list(range(sent))  # every one, in order, none twice
            assert api.feed.subscribers == {fast_sub} and api.feed.dropped_too_slow == 1

            # After the drop the fast client still hears at once.
            started = time.monotonic()
            await nc.publish(subjects.log("bench", "_"), codec.encode(log_record(f"flood {sent}")))
            await wait_for(lambda: len(seen) == sent + 1, within=5)
            assert time.monotonic() - started < 5
        finally:
            reader.cancel()
        # What the api held for the slow client stayed within its queue and one
        # socket buffer (asyncio's 64 KiB mark plus the frame that crossed it).
        assert widest <= 64 * 1024 + 2 * size
        # The slow client, reading at last, finds its backlog and then the reason.
        assert await close_code(slow, within=30) == CLOSE_TOO_SLOW
        assert slow.close_reason == "too slow"
        await fast.close()


async def test_a_dead_client_is_removed(api: Served, nc: Client) -> None:
    dead, _ = await open_feed(api.ws_url)
    alive, _ = await open_feed(api.ws_url)
    assert len(api.feed.subscribers) == 2
    dead.transport.abort()  # TCP gone without a close frame
    await wait_for(lambda: len(api.feed.subscribers) == 1, within=10)
    await nc.publish(subjects.log("health", "sim-a"), codec.encode(log_record("still here")))
    await next_of(alive, "log", lambda m: m["data"]["message"] == "still here")
    await alive.close()
    await wait_for(lambda: api.feed.subscribers == frozenset(), within=10)


async def test_many_clients_get_each_event_once(api: Served, nc: Client) -> None:
    clients = [(await open_feed(api.ws_url))[0] for _ in range(8)]
    await nc.publish(subjects.FAILOVER_EVENT, codec.encode(failover("for all")))
    for ws in clients:
        got = await next_of(ws, "failover")
        assert got["data"]["reason"] == "for all"
        await ws.close()


# --- the bus and the api going away ----------------------------------------------------


async def test_the_feed_resumes_after_nats_restarts(
    api: Served, nc: Client, nats_server: NatsServer
) -> None:
    routing_bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
    ws, _ = await open_feed(api.ws_url)
    async with ws:
        nats_server.kill()
        await wait_for(lambda: not api.link.connected, within=15)
        got = await next_of(ws, "ping", lambda m: m["nats"] == "unreachable", within=5)
        assert got["type"] == "ping"

        await asyncio.to_thread(nats_server.restart)
        await wait_for(lambda: api.link.connected and nc.is_connected, within=30)
        await next_of(ws, "ping", lambda m: m["nats"] == "ok", within=5)
        # Subscriptions are back: a status published now arrives.
        deadline = time.monotonic() + 20
        while True:
            await nc.publish(subjects.status("sim-a"), codec.encode(status("sim-a")))
            try:
                await next_of(ws, "status", within=1)
                break
            except TimeoutError:
                assert time.monotonic() < deadline, "no status after NATS came back"
        # The bucket is followed again (read afresh after the reconnect).
        routing_bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
        await routing_bucket.put(
            buckets.routing_key("au2602.SHFE"), codec.encode(route("au2602.SHFE", "sim-b"))
        )
        got = await next_of(ws, "route", lambda m: m["vt_symbol"] == "au2602.SHFE", within=20)
        assert got["data"]["source"] == "sim-b"


async def test_without_nats_the_feed_serves_what_it_has(api_settings: Settings) -> None:
    nowhere = api_settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{free_port()}"})
    async with serving(nowhere) as api:
        ws, snapshot = await open_feed(api.ws_url)
        async with ws:
            assert (snapshot["nats"], snapshot["database"]) == ("unreachable", "ok")
            assert snapshot["gateways"] == [] and snapshot["routes"] == []
            assert (await next_of(ws, "ping"))["nats"] == "unreachable"


async def test_stopping_the_api_closes_its_clients(api_settings: Settings) -> None:
    async with serving(api_settings) as api:
        await wait_for(lambda: api.link.connected, 20)
        ws, _ = await open_feed(api.ws_url)
    # uvicorn closes open WebSockets with 1012 (service restart) before the app stops.
    assert await close_code(ws, within=10) in (1001, 1012)


async def test_recent_logs_are_bounded(api_settings: Settings, nc: Client) -> None:
    settings = api_settings.model_copy(update={"ws_recent_logs": 3})
    async with serving(settings) as api:
        await wait_for(lambda: api.link.connected, 20)
        for number in range(10):
            record = log_record(f"n{number}")
            await nc.publish(subjects.log("health", "sim-a"), codec.encode(record))
        await wait_for(lambda: any(r.message == "n9" for r in api.link.board.logs))
        ws, snapshot = await open_feed(api.ws_url)
        await ws.close()
    # The newest three (the api's own line about this client may be one of them).
    messages = [record["message"] for record in snapshot["logs"]]
    ours = [message for message in messages if message in {f"n{k}" for k in range(10)}]
    assert len(messages) == 3 and ours == [f"n{k}" for k in range(10 - len(ours), 10)]
    assert ours, messages


async def test_a_stale_health_verdict_is_not_shown_as_current(api: Served, nc: Client) -> None:
    await create_account(api, name="sim-a", priority=1)
    old = SourceHealth(
        source="sim-a",
        state="HEALTHY",
        cause="ok",
        reason="fine",
        at=now() - timedelta(minutes=5),
        since=now() - timedelta(minutes=6),
    )
    await nc.publish(subjects.health("sim-a"), codec.encode(old))
    await wait_for(lambda: api.link.board.health("sim-a") is not None)
    ws, snapshot = await open_feed(api.ws_url)
    await ws.close()
    [gateway] = snapshot["gateways"]
    assert gateway["health"] is None and "no verdict" in gateway["health_reason"]
