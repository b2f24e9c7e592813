"""The whole market as a universe, on the real CTP path: two ctp accounts on two local
CTP fronts (vnpy_ctp's CtpGateway over tickhub's stand-in md and td libraries), the
real gateway service and api. The catalog comes from a trading front's instrument
query; every one of the ~24,000 instruments is subscribed on both accounts at a pace
the fronts accept (they disconnect a flood); then the fronts move to a later trading
day and a refresh subscribes what was listed and drops what expired, without
restarting a worker."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from tests.integration.pool.conftest import GatewayService, Watch, create
from tickhub_contracts.messages import GatewayStatus
from tickhub_gateway.sources.sim import listings
from tickhub_harness.local_fronts import BROKER, PASSWORD, USER, LocalFront
from tickhub_markets.trading_days import trading_day
from tickhub_universe.catalog import Catalog
from tickhub_universe.entries import parse_entry
from tickhub_universe.resolve import resolve

MARKET = ("SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX")
FRONT_LIMIT_PER_S = 6000
"""What the fronts accept before they disconnect a client."""
PACE_PER_S = 3000
"""What the accounts send: half the limit."""
SUBSCRIBED_WITHIN_S = 90.0


def market(day: dt.date) -> set[str]:
    """The whole market with options on ``day``, as the hub must resolve it."""
    catalog = Catalog(listings.listed(day, options=True))
    entries = [parse_entry(exchange, options=True) for exchange in MARKET]
    return set(resolve(entries, catalog, day).contracts)


def later_day(day: dt.date) -> dt.date:
    """A trading day about five weeks on: some months expired, new ones listed."""
    later = day + dt.timedelta(days=35)
    while later.weekday() >= 5:
        later += dt.timedelta(days=1)
    return later


@pytest.fixture
def fronts(tmp_path: Path) -> Iterator[tuple[LocalFront, LocalFront]]:
    day = trading_day(dt.datetime.now(dt.UTC))
    canary = canary_for(day)
    extra = ["--trading-day", day.isoformat(), "--max-subscribe-per-s", str(FRONT_LIMIT_PER_S)]
    pair = tuple(
        LocalFront(tmp_path / "fronts", [canary], seed=7, extra_args=extra) for _ in range(2)
    )
    try:
        for front in pair:
            front.start()
        yield pair[0], pair[1]
    finally:
        for front in pair:
            front.stop()


def carries(name: str, contracts: set[str]) -> Callable[[GatewayStatus], bool]:
    return lambda s: s.source == name and set(s.contracts) == contracts


def holds(name: str, count: int) -> Callable[[GatewayStatus], bool]:
    """The worker holds ``count`` subscriptions (what it asked its front for)."""
    return lambda s: s.source == name and s.subscribed_count == count


async def front_holds(front: LocalFront, count: int) -> dict[str, Any]:
    """The front's status once it holds ``count`` subscriptions (a bounded wait: the
    accounts send them at their pace)."""
    deadline = time.monotonic() + SUBSCRIBED_WITHIN_S
    while True:
        status = front.status()
        held = status["subscriptions"]  # a count, or the symbols when they are few
        if (held if isinstance(held, int) else len(held)) == count:
            return status
        assert time.monotonic() < deadline, f"the front holds {held}, not {count}: {status}"
        await asyncio.sleep(0.5)


def canary_for(day: dt.date) -> str:
    """The rebar month listed longest from ``day`` on: live on both days of the test."""
    months = [i for i in listings.listed(day, options=False) if i.product == "rb"]
    return max(months, key=lambda i: i.expiry or day).vt_symbol


def ctp_account(name: str, priority: int, front: LocalFront, canary: str) -> dict[str, Any]:
    return {
        "name": name,
        "gateway_type": "ctp",
        "priority": priority,
        "canary": canary,
        "contracts": [],
        "capacity": 40_000,
        "ctp": {
            "userid": USER,
            "password": PASSWORD,
            "broker_id": BROKER,
            "md_fronts": [front.address],
            "td_front": front.address,
            "md_library": "local",
            "trading_hours": "always",
            "connect_timeout_s": 5.0,
            "subscribe_per_s": PACE_PER_S,
        },
    }


async def test_the_whole_market_is_subscribed_at_a_pace_and_follows_listings_and_expiries(
    fronts: tuple[LocalFront, LocalFront],
    gateway_service: GatewayService,
    watch: Watch,
    client: httpx.AsyncClient,
    nc: Client,
) -> None:
    front_a, front_b = fronts
    day = trading_day(dt.datetime.now(dt.UTC))
    canary = canary_for(day)
    today = market(day)
    assert len(today) > 20_000
    await create(client, ctp_account("ctp-a", 1, front_a, canary))
    await create(client, ctp_account("ctp-b", 2, front_b, canary))
    for exchange in MARKET:
        response = await client.post("/api/universe", json={"text": exchange, "options": True})
        assert response.status_code == 201, response.text

    started = time.monotonic()
    await gateway_service.start()
    for name in ("ctp-a", "ctp-b"):
        await watch.until(carries(name, today), within=SUBSCRIBED_WITHIN_S)
        await watch.until(holds(name, len(today | {canary})), within=SUBSCRIBED_WITHIN_S)
    pids = {s.source: s.pid for _, s in watch.statuses.items if s.pid is not None}

    # Every subscription reaches its front at the accounts' pace, and no front has to
    # disconnect anyone for a flood.
    for front in fronts:
        status = await front_holds(front, len(today | {canary}))
        assert status["floods_dropped"] == 0, status
    took = time.monotonic() - started
    resolved = (await client.get("/api/universe/resolved", params={"limit": 1})).json()
    assert resolved["counts"] == {"contracts": len(today), "uncovered": 0, "single": 0}
    # The first account logged in answers (which one is a race of the two logins).
    assert resolved["catalog"]["origin"] in {"ctp-a", "ctp-b"}
    assert "subscribed" in gateway_service.text(), "no progress line for a long subscription"

    # Five weeks on: the fronts list a new market; a refresh brings it in.
    later = later_day(day)
    then = market(later)
    listed, expired = then - today, today - then
    assert listed and expired
    mark = watch.mark()
    for front in fronts:
        # A front starts its new trading day as a broker's does: its connections drop,
        # the libraries connect and log in again and hear the new day.
        front.request(f"trading-day {later.isoformat()}")
        front.fault("drop")
    refreshed = await client.post("/api/instruments/refresh")
    assert refreshed.status_code == 200, refreshed.text
    answer = refreshed.json()
    assert answer["trading_day"] == later.isoformat()
    assert set(answer["listed"]) <= listed and set(answer["expired"]) <= expired
    for name in ("ctp-a", "ctp-b"):
        moved = await watch.until(carries(name, then), within=SUBSCRIBED_WITHIN_S, after=mark)
        assert moved.pid == pids[name], f"{name}'s worker was restarted for a listing"
        await watch.until(holds(name, len(then | {canary})), within=SUBSCRIBED_WITHIN_S, after=mark)
    for front in fronts:
        await front_holds(front, len(then | {canary}))
    print(f"whole market ({len(today)} contracts) subscribed on two accounts in {took:.1f} s")
