"""The universe over a live pool: the real gateway service resolves the api's entries
against the catalog its sims list, spreads the contracts over the accounts by their
capacity, and follows a change of the universe or of an account without restarting a
worker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
from nats.aio.client import Client

from tests.integration.gateway.conftest import TIMEOUT, Inbox, inbox
from tests.integration.pool.conftest import (
    GatewayService,
    Watch,
    create,
    ctp_body,
    running,
    sim_body,
)
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import CatalogRefresh, CatalogRefreshed
from tickhub_gateway.sources.sim import listings
from tickhub_markets.trading_days import trading_day
from tickhub_universe.catalog import write_catalog_csv


def listed_futures(product: str, exchange: str) -> set[str]:
    """The sim's listed months of a product today: what the universe must resolve to."""
    day = trading_day(dt.datetime.now(dt.UTC))
    return {
        i.vt_symbol
        for i in listings.listed(day, options=False)
        if i.product == product and i.exchange == exchange and i.kind == "future"
    }


def carries(name: str, contracts: set[str]) -> Any:
    return lambda s: s.source == name and s.state == "running" and set(s.contracts) == contracts


async def add_entry(client: httpx.AsyncClient, text: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/universe", json={"text": text, **extra})
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()
    return entry


async def test_the_universe_is_carried_twice_and_follows_changes_without_restarts(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    rebar = listed_futures("rb", "SHFE")
    gold = listed_futures("au", "SHFE")
    assert len(rebar) >= 6 and len(gold) >= 3
    await create(client, sim_body("sim-a", 1, contracts=[]))
    await create(client, sim_body("sim-b", 2, contracts=[]))
    await add_entry(client, "rb.SHFE")
    await add_entry(client, "rb888.SHFE")
    await gateway_service.start()

    # The catalog comes from the sims; both accounts carry every listed rebar month.
    a = await watch.until(carries("sim-a", rebar), within=TIMEOUT * 3)
    b = await watch.until(carries("sim-b", rebar), within=TIMEOUT * 3)
    await watch.until(
        lambda s: s.source == "sim-a" and s.subscribed_count == len(rebar | {s.canary})
    )

    resolved = (await client.get("/api/universe/resolved")).json()
    assert resolved["counts"]["contracts"] == len(rebar), resolved["counts"]
    assert resolved["counts"]["uncovered"] == 0 and resolved["counts"]["single"] == 0
    assert resolved["catalog"]["origin"] in ("sim-a", "sim-b")
    assert {c["vt_symbol"] for c in resolved["contracts"]} == rebar
    assert all(c["sources"] == ["sim-a", "sim-b"] for c in resolved["contracts"])
    assert [alias["alias"] for alias in resolved["aliases"]] == ["rb888.SHFE"]

    # A new entry: subscribed by the running workers, no restart.
    mark = watch.mark()
    await add_entry(client, "au.SHFE")
    await watch.until(carries("sim-a", rebar | gold), within=TIMEOUT, after=mark)
    later = await watch.until(carries("sim-b", rebar | gold), within=TIMEOUT, after=mark)
    assert later.pid == b.pid and later.restarts == b.restarts
    up = await watch.until(
        lambda s: s.source == "sim-a" and s.subscribed_count == len(rebar | gold | {s.canary}),
        after=mark,
    )
    assert up.pid == a.pid

    # Less room on sim-b: what it cannot carry has one source, and the api says which.
    accounts = {x["name"]: x for x in (await client.get("/api/accounts")).json()}
    mark = watch.mark()
    response = await client.put(f"/api/accounts/{accounts['sim-b']['id']}", json={"capacity": 4})
    assert response.status_code == 200, response.text
    small = await watch.until(
        lambda s: s.source == "sim-b" and len(s.contracts) == 3, within=TIMEOUT, after=mark
    )
    assert small.pid == b.pid, "a change of capacity must not restart the worker"
    single = (await client.get("/api/universe/resolved", params={"problem": "single"})).json()
    assert single["counts"]["single"] == len(rebar | gold) - 3
    assert all(c["sources"] == ["sim-a"] for c in single["contracts"])
    assert "have one source only" in gateway_service.text()


async def test_a_catalog_refresh_on_request_answers_with_what_it_stored(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    changes: Inbox[CatalogRefreshed] = await inbox(nc, subjects.CATALOG_CHANGED, CatalogRefreshed)
    await create(client, sim_body("sim-a", 1, contracts=[]))
    await gateway_service.start()
    await watch.until(running("sim-a"))
    first = await changes.wait_for(lambda c: c.ok, within=TIMEOUT * 3)
    assert first.origin == "sim-a" and first.instruments > 100

    reply = await nc.request(
        subjects.CATALOG_REFRESH, codec.encode(CatalogRefresh(by="test")), timeout=TIMEOUT * 3
    )
    answer = codec.decode(reply.data, CatalogRefreshed)
    assert answer.ok and answer.origin == "sim-a", answer
    # The same market on the same day: nothing listed, nothing gone.
    assert answer.instruments == first.instruments and answer.listed == answer.expired == []

    found = (await client.get("/api/instruments", params={"search": "rb"})).json()
    assert found["total"] >= 6 and all("rb" in i["vt_symbol"] for i in found["instruments"])


async def test_a_pool_of_market_data_only_accounts_takes_the_catalog_file_then_keeps_it(
    gateway_service: GatewayService,
    watch: Watch,
    client: httpx.AsyncClient,
    nc: Client,
    tmp_path: Path,
) -> None:
    # A ctp account without a trading front cannot list instruments: the operator's
    # file is the catalog, and with no file the stored one stays.
    day = trading_day(dt.datetime.now(dt.UTC))
    chosen = [i for i in listings.listed(day, options=False) if i.product in ("rb", "cu")]
    catalog_file = tmp_path / "catalog.csv"
    catalog_file.write_text(write_catalog_csv(chosen))
    gateway_service.env["TICKHUB_CATALOG_FILE"] = str(catalog_file)
    changes: Inbox[CatalogRefreshed] = await inbox(nc, subjects.CATALOG_CHANGED, CatalogRefreshed)
    await create(client, ctp_body("ctp-md-only", 1, contracts=[]))
    await add_entry(client, "cu.SHFE")
    await gateway_service.start()

    stored = await changes.wait_for(lambda c: c.ok, within=TIMEOUT * 3)
    assert stored.origin == "file" and stored.instruments == len(chosen)
    copper = {i.vt_symbol for i in chosen if i.product == "cu"}
    await watch.until(
        lambda s: s.source == "ctp-md-only" and set(s.contracts) == copper, within=TIMEOUT
    )
    found = (await client.get("/api/instruments", params={"search": "cu"})).json()
    assert {i["vt_symbol"] for i in found["instruments"]} == copper

    catalog_file.unlink()
    refused = await client.post("/api/instruments/refresh")
    assert refused.status_code == 502, refused.text
    assert "keeping the stored catalog" in refused.text
    resolved = (await client.get("/api/universe/resolved")).json()
    assert resolved["catalog"]["origin"] == "file"
    assert resolved["catalog"]["instruments"] == len(chosen)
