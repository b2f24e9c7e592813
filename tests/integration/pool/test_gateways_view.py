"""GET /api/gateways: every account with its worker as the manager reports it, the
health service's verdict and the contracts it serves now (the failover service's
routing, through the tickhub_routing bucket), or the reason it has no worker. Real
gateway service, real health and failover services judging and routing the pool, real
CTP worker against a closed port."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.integration.api.conftest import running as running_app
from tests.integration.gateway.conftest import START_TIMEOUT, TIMEOUT, alive
from tests.integration.pool.conftest import (
    CANARY,
    CONTRACTS,
    PASSWORD,
    SECRETS,
    GatewayService,
    Watch,
    create,
    ctp_body,
    gateway_env,
    running,
    sim_body,
)
from tickhub_failover.app import FailoverService
from tickhub_health.app import HealthService
from tickhub_markets.calendar import exchange_holidays
from tickhub_markets.sessions import is_open
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

FIELDS = {
    "account_id",
    "name",
    "gateway_type",
    "priority",
    "state",
    "pid",
    "restarts",
    "connected",
    "last_tick_at",
    "canary_age_s",
    "ticks_per_s",
    "active_symbols",
}


@pytest.fixture
async def routing(api_settings: Settings) -> AsyncIterator[None]:
    """The health and failover services in this process, each on its own NATS
    connection as if it were its own process: they judge the pool the gateway service
    runs and write the routing the api shows."""
    tuned = api_settings.model_copy(
        update={
            # Should sim-b be proven first, sim-a takes its contracts back 1 s after.
            "failback_hold_s": 1.0,
            # The disconnected ctp account keeps its worker for the whole test.
            "restart_cooldown_s": 300.0,
        }
    )
    health_nc = await bus.connect(tuned, "test-health")
    failover_nc = await bus.connect(tuned, "test-failover")
    health = HealthService(tuned, health_nc)
    failover = FailoverService(tuned, failover_nc)
    await health.start()
    await failover.start()
    try:
        await asyncio.wait_for(failover.ready.wait(), TIMEOUT)
        yield
    finally:
        await failover.close()
        await health.close()
        await failover_nc.drain()
        await health_nc.drain()


Views = dict[str, dict[str, Any]]


async def _views_until(
    client: httpx.AsyncClient, condition: Callable[[Views], bool], within: float = START_TIMEOUT
) -> Views:
    """GET /api/gateways until ``condition`` holds for the views by name."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        response = await client.get("/api/gateways")
        assert response.status_code == 200, response.text
        for secret in SECRETS:
            assert secret not in response.text
        views = {view["name"]: view for view in response.json()}
        if condition(views):
            return views
        if loop.time() > deadline:
            raise AssertionError(f"views never met the condition: {views}")
        await asyncio.sleep(0.2)


def _serving(view: dict[str, Any]) -> bool:
    return (
        view["state"] == "running"
        and view["connected"]
        and view["ticks_per_s"] > 0
        and view["canary_age_s"] is not None
        and sorted(view["active_symbols"]) == sorted({*CONTRACTS, CANARY})
    )


def _ctp_verdict_now() -> str:
    """A CTP source judged by its canary's sessions: its dead front is a failure in
    session and a closed market outside (the test runs at any hour)."""
    in_session = is_open(CANARY, dt.datetime.now(dt.UTC), exchange_holidays())
    return "UNHEALTHY" if in_session else "MARKET_CLOSED"


async def test_every_account_with_every_field(
    gateway_service: GatewayService,
    watch: Watch,
    client: httpx.AsyncClient,
    routing: None,
) -> None:
    ids = {
        "sim-a": (await create(client, sim_body("sim-a", 1)))["id"],
        "sim-b": (await create(client, sim_body("sim-b", 2)))["id"],
        "ctp-x": (await create(client, ctp_body("ctp-x", 3)))["id"],
        "sim-off": (await create(client, sim_body("sim-off", 4, is_enabled=False)))["id"],
        "sim-held": (await create(client, sim_body("sim-held", 5)))["id"],
    }
    await gateway_service.start()
    await watch.until(running("sim-held"))
    stop = await client.post(f"/api/accounts/{ids['sim-held']}/stop")
    assert stop.status_code == 200, stop.text

    views = await _views_until(
        client,
        lambda v: (
            _serving(v["sim-a"])
            and v["sim-a"]["health"] == "HEALTHY"
            and v["sim-b"]["connected"]
            and v["ctp-x"]["connection"] == "disconnected"
            and v["ctp-x"]["state"] == "running"
            and v["ctp-x"]["health"] == _ctp_verdict_now()
            and v["sim-held"]["health"] == "STOPPED"
        ),
    )
    assert [v["name"] for v in views.values()] == ["sim-a", "sim-b", "ctp-x", "sim-off", "sim-held"]
    for name, view in views.items():
        assert set(view) >= FIELDS, name
        assert view["account_id"] == ids[name]

    a = views["sim-a"]
    assert (a["gateway_type"], a["priority"], a["restarts"], a["reason"]) == ("sim", 1, 0, "")
    assert isinstance(a["pid"], int) and alive(a["pid"])
    # 2 contracts at 2 ticks a second (the canary is one of them): about 4 a second.
    assert 2.0 <= a["ticks_per_s"] <= 8.0, a
    # Measured from the newest status (repeated every 2 s) and heartbeat (every 1 s).
    assert 0 <= a["canary_age_s"] < 10.0, a
    last_tick = dt.datetime.fromisoformat(a["last_tick_at"])
    assert last_tick.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - last_tick).total_seconds()) < 10

    b = views["sim-b"]
    # Hot mode: sim-b's ticks may go out too (first copy wins), but sim-a is the
    # active source of every contract while it is HEALTHY.
    assert b["active_symbols"] == [], "the backup serves nothing while sim-a is up"
    assert b["priority"] == 2 and b["ticks_per_s"] > 0

    ctp = views["ctp-x"]
    assert (ctp["gateway_type"], ctp["connected"]) == ("ctp", False)
    assert ctp["reason"].startswith("disconnected"), ctp
    assert isinstance(ctp["pid"], int) and ctp["active_symbols"] == []
    assert ctp["ticks_per_s"] == 0 and ctp["last_tick_at"] is None and ctp["canary_age_s"] is None

    off = views["sim-off"]
    assert (off["state"], off["reason"], off["pid"], off["connected"]) == (
        "stopped",
        "disabled",
        None,
        False,
    )
    assert off["is_enabled"] is False and off["active_symbols"] == []

    held = views["sim-held"]
    assert (held["state"], held["manual_stop"], held["pid"]) == ("stopped", True, None)
    assert "stopped by operator" in held["reason"]

    # sim-a goes: the health service judges it STOPPED, the failover service moves its
    # contracts to sim-b, and the view follows.
    assert (await client.post(f"/api/accounts/{ids['sim-a']}/stop")).status_code == 200
    views = await _views_until(
        client,
        lambda v: (
            sorted(v["sim-b"]["active_symbols"]) == sorted({*CONTRACTS, CANARY})
            and v["sim-a"]["active_symbols"] == []
            and v["sim-a"]["health"] == "STOPPED"
        ),
    )
    assert views["sim-a"]["state"] == "stopped"
    assert PASSWORD not in str(views)


@pytest.fixture
async def quick_api(api_settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The api with statuses expected every 0.5 s (gone after 3.5 s of silence)."""
    async with running_app(api_settings.model_copy(update={"status_interval_s": 0.5})) as both:
        yield both


async def test_a_gateway_service_that_is_gone_shows_as_unknown(
    gateway_service: GatewayService,
    watch: Watch,
    quick_api: tuple[FastAPI, httpx.AsyncClient],
    api_settings: Settings,
    migrated_url: str,
) -> None:
    _, client = quick_api
    await create(client, sim_body("sim-a", 1))
    # Not reported yet: the view says so rather than guessing.
    views = await _views_until(client, lambda v: "sim-a" in v)
    assert views["sim-a"]["state"] == "unknown" and "not reported" in views["sim-a"]["reason"]

    gateway_service.env = gateway_env(api_settings, migrated_url, TICKHUB_STATUS_INTERVAL_S="0.5")
    await gateway_service.start()
    await watch.until(running("sim-a"))
    await _views_until(client, lambda v: v["sim-a"]["state"] == "running")
    gateway_service.process.kill()  # type: ignore[union-attr]  # no goodbye status
    views = await _views_until(client, lambda v: v["sim-a"]["state"] == "unknown", within=15)
    view = views["sim-a"]
    assert view["pid"] is None and view["connected"] is False and view["ticks_per_s"] == 0
    assert "no word from the gateway manager" in view["reason"]
    assert view["status_at"] is not None
