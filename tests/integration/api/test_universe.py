"""/api/universe and /api/instruments against real PostgreSQL and NATS: the entries'
create-read-update-delete and their announcements, the universe resolved (sources,
problems, paging, aliases, the cache), the catalog searched, a refresh asked of a
stand-in gateway manager, the accounts' capacity and exclusions, and the /ws notices."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_accounts.universe_store import replace_catalog, store_allocation
from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    CatalogRefresh,
    CatalogRefreshed,
    Instrument,
    MainContract,
    UniverseChanged,
)
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings

from . import bodies
from .conftest import AUTH, Captured, wait_for
from .wsclient import next_of, open_feed, receive, serving

DAY = date(2025, 12, 2)
AT = datetime(2025, 12, 1, 12, 30, tzinfo=UTC)
MONDAY_MORNING = datetime(2025, 12, 1, 10, 0, tzinfo=CHINA_TZ)


def future(vt_symbol: str, expiry: date, **fields: Any) -> Instrument:
    symbol, exchange = vt_symbol.split(".")
    product = symbol.rstrip("0123456789")
    return Instrument(
        vt_symbol=vt_symbol,
        symbol=symbol,
        exchange=exchange,
        product=product,
        name=fields.pop("name", f"{product} {symbol}"),
        expiry=expiry,
        tick_size=1.0,
        multiplier=10.0,
        **fields,
    )


CATALOG = [
    future("rb2511.SHFE", date(2025, 11, 14)),  # expired
    future("rb2601.SHFE", date(2026, 1, 15)),
    future("rb2605.SHFE", date(2026, 5, 15), name="螺纹钢2605"),
    future("rb2610.SHFE", date(2026, 10, 15)),
    future("au2606.SHFE", date(2026, 5, 29)),
    Instrument(
        vt_symbol="au2606C500.SHFE",
        symbol="au2606C500",
        exchange="SHFE",
        product="au_o",
        kind="option",
        name="黄金2606购500",
        expiry=date(2026, 4, 24),
        underlying="au2606.SHFE",
        option_type="call",
        strike=500.0,
    ),
    future("m2605.DCE", date(2026, 5, 15)),
    future("IF2512.CFFEX", date(2025, 12, 19)),
]


@pytest.fixture
def fixed_clock(app: FastAPI) -> None:
    app.state.clock = lambda: MONDAY_MORNING


async def _add(client: httpx.AsyncClient, text: str, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/universe", json={"text": text, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# --- entries ------------------------------------------------------------------------


async def test_entries_are_created_read_updated_and_deleted(
    client: httpx.AsyncClient, bus_capture: Captured
) -> None:
    assert (await client.get("/api/universe")).json() == {"entries": []}

    response = await client.post("/api/universe", json={"text": "rb.SHFE", "note": "steel"})
    assert response.status_code == 201, response.text
    rb = response.json()
    assert response.headers["Location"] == f"/api/universe/{rb['id']}"
    assert (rb["text"], rb["kind"], rb["options"], rb["note"]) == (
        "rb.SHFE",
        "product",
        False,
        "steel",
    )
    alias = await _add(client, "rb888.SHFE")
    pattern = await _add(client, "IF*.CFFEX", options=True)
    assert (alias["kind"], pattern["kind"], pattern["options"]) == ("alias", "pattern", True)
    exchange = await _add(client, "GFEX")
    assert exchange["kind"] == "exchange"

    listed = (await client.get("/api/universe")).json()["entries"]
    assert [e["text"] for e in listed] == ["GFEX", "IF*.CFFEX", "rb.SHFE", "rb888.SHFE"]

    response = await client.patch(f"/api/universe/{rb['id']}", json={"options": True})
    assert response.status_code == 200, response.text
    assert (response.json()["options"], response.json()["note"]) == (True, "steel")
    response = await client.patch(f"/api/universe/{rb['id']}", json={"note": ""})
    assert response.json()["note"] == ""
    # Nothing changed: nothing announced.
    assert (await client.patch(f"/api/universe/{rb['id']}", json={})).status_code == 200

    assert (await client.delete(f"/api/universe/{alias['id']}")).status_code == 204
    assert (await client.delete(f"/api/universe/{alias['id']}")).status_code == 404
    assert (
        await client.patch(f"/api/universe/{alias['id']}", json={"note": "x"})
    ).status_code == 404
    listed = (await client.get("/api/universe")).json()["entries"]
    assert [e["text"] for e in listed] == ["GFEX", "IF*.CFFEX", "rb.SHFE"]

    await wait_for(lambda: len(bus_capture.on(subjects.UNIVERSE_CHANGED)) == 7)
    announced = [
        codec.decode(m.data, UniverseChanged) for m in bus_capture.on(subjects.UNIVERSE_CHANGED)
    ]
    assert [(a.action, a.entry) for a in announced] == [
        ("created", "rb.SHFE"),
        ("created", "rb888.SHFE"),
        ("created", "IF*.CFFEX"),
        ("created", "GFEX"),
        ("updated", "rb.SHFE"),
        ("updated", "rb.SHFE"),
        ("deleted", "rb888.SHFE"),
    ]


async def test_a_duplicate_entry_is_a_409(client: httpx.AsyncClient) -> None:
    await _add(client, "rb.SHFE")
    response = await client.post("/api/universe", json={"text": "rb.SHFE", "options": True})
    assert response.status_code == 409
    assert response.json()["detail"] == "the universe has the entry 'rb.SHFE' already"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"text": "rb.LME"}, "text", "unknown exchange 'LME'"),
        ({"text": "rb.*"}, "text", "would match only a symbol named rb"),
        ({"text": "rb.shfe"}, "text", "write the universe entry 'rb.shfe' as 'rb.SHFE'"),
        ({"text": "螺纹钢"}, "text", "螺纹钢 is not an exchange"),
        ({"text": ""}, "text", "at least 1 character"),
        ({"text": "rb.SHFE", "note": "x" * 201}, "note", "at most 200 characters"),
        ({"text": "rb.SHFE", "note": "a\nb"}, "note", "should match pattern"),
        ({"text": "rb.SHFE", "options": "yes"}, "options", "valid boolean"),
        ({"text": "rb.SHFE", "kind": "product"}, "kind", "Extra inputs"),
        ({}, "text", "Field required"),
    ],
)
async def test_a_bad_entry_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, says: str
) -> None:
    response = await client.post("/api/universe", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert says in problem["errors"][0]["message"], problem
    assert says in problem["detail"]
    assert (await client.get("/api/universe")).json() == {"entries": []}


async def test_a_bad_patch_is_a_422(client: httpx.AsyncClient) -> None:
    entry = await _add(client, "rb.SHFE")
    for body, field in (({"text": "au.SHFE"}, "text"), ({"options": None}, "options")):
        response = await client.patch(f"/api/universe/{entry['id']}", json=body)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]


# --- the universe resolved ----------------------------------------------------------


async def _accounts(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for name, priority, contracts, enabled in (
        ("sim-a", 1, [], True),
        ("sim-b", 2, ["au2606.SHFE"], True),
        ("sim-c", 3, [], False),
    ):
        response = await client.post(
            "/api/accounts",
            json=bodies.sim(name=name, priority=priority, contracts=contracts, is_enabled=enabled),
        )
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids


async def _resolved(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/universe/resolved", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _rows(body: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    return [(c["vt_symbol"], c["entries"], c["sources"]) for c in body["contracts"]]


async def test_the_resolved_universe_shows_sources_and_problems(
    app: FastAPI, client: httpx.AsyncClient, nc: Client, fixed_clock: None
) -> None:
    empty = await _resolved(client)
    assert empty["trading_day"] == "2025-12-01"
    assert empty["catalog"] == {
        "origin": "",
        "trading_day": None,
        "refreshed_at": None,
        "instruments": 0,
    }
    assert (empty["total"], empty["contracts"], empty["aliases"]) == (0, [], [])

    await replace_catalog(CATALOG, origin="ctp-main", trading_day=DAY, at=AT)
    for text, options in (
        ("rb.SHFE", False),
        ("rb888.SHFE", False),
        ("au.SHFE", True),
        ("rb2511.SHFE", False),
        ("zz.SHFE", False),
    ):
        await _add(client, text, options=options)
    ids = await _accounts(client)
    await store_allocation(
        {ids["sim-a"]: ["rb2601.SHFE", "rb2610.SHFE"], ids["sim-b"]: ["au2606.SHFE"]}
    )

    # Their announcements have come back through the bus (they bump the cache's keys).
    feed = app.state.nats.feed
    await wait_for(lambda: (feed.universe_epoch, feed.allocation_epoch) == (5, 3))
    cache = app.state.resolved
    resolves = cache.resolves

    body = await _resolved(client)
    # The catalog's trading day is later than the clock's: it counts.
    assert body["trading_day"] == "2025-12-02"
    assert body["catalog"] == {
        "origin": "ctp-main",
        "trading_day": "2025-12-02",
        "refreshed_at": "2025-12-01T12:30:00Z",
        "instruments": 8,
    }
    assert _rows(body) == [
        ("au2606.SHFE", ["au.SHFE"], ["sim-b"]),
        ("au2606C500.SHFE", ["au.SHFE"], []),
        ("rb2601.SHFE", ["rb.SHFE", "rb888.SHFE"], ["sim-a"]),
        # Both canaries: every enabled account subscribes its canary.
        ("rb2605.SHFE", ["rb.SHFE", "rb888.SHFE"], ["sim-a", "sim-b"]),
        ("rb2610.SHFE", ["rb.SHFE", "rb888.SHFE"], ["sim-a"]),
    ]
    assert body["contracts"][1]["kind"] == "option"
    assert body["contracts"][2]["expiry"] == "2026-01-15"
    assert body["total"] == 5
    assert body["counts"] == {"contracts": 5, "uncovered": 1, "single": 3}
    assert body["aliases"] == [
        {"alias": "rb888.SHFE", "product": "rb.SHFE", "vt_symbol": None, "trading_day": None}
    ]
    assert (body["unmatched"], body["not_listed"]) == (["zz.SHFE"], ["rb2511.SHFE"])

    uncovered = await _resolved(client, problem="uncovered")
    assert [vt for vt, _, _ in _rows(uncovered)] == ["au2606C500.SHFE"]
    assert uncovered["total"] == 1 and uncovered["counts"] == body["counts"]
    single = await _resolved(client, problem="single")
    assert [vt for vt, _, _ in _rows(single)] == ["au2606.SHFE", "rb2601.SHFE", "rb2610.SHFE"]
    page = await _resolved(client, search="RB26", offset=1, limit=1)
    assert (page["total"], [vt for vt, _, _ in _rows(page)]) == (3, ["rb2605.SHFE"])
    assert (await _resolved(client, search="rb26", problem="single"))["total"] == 2

    # Paging through it resolved it once.
    assert cache.resolves == resolves + 1

    # A new allocation: new sources, the same resolve.
    await store_allocation(
        {ids["sim-a"]: ["au2606C500.SHFE", "rb2601.SHFE"], ids["sim-b"]: ["au2606.SHFE"]}
    )
    body = await _resolved(client)
    assert body["counts"] == {"contracts": 5, "uncovered": 1, "single": 3}
    assert _rows(body)[1] == ("au2606C500.SHFE", ["au.SHFE"], ["sim-a"])
    assert cache.resolves == resolves + 1

    # The publisher decides rb's main contract.
    main = MainContract(
        alias="rb888.SHFE",
        vt_symbol="rb2605.SHFE",
        trading_day=DAY,
        decided_at=AT,
        open_interest=1.5e6,
    )
    await nc.publish(subjects.MAIN_CONTRACT_CHANGED, codec.encode(main))
    await wait_for(lambda: "rb888.SHFE" in app.state.nats.board.main_contracts)
    body = await _resolved(client)
    assert body["aliases"] == [
        {
            "alias": "rb888.SHFE",
            "product": "rb.SHFE",
            "vt_symbol": "rb2605.SHFE",
            "trading_day": "2025-12-02",
        }
    ]

    # A new entry: resolved again.
    await _add(client, "m2605.DCE")
    body = await _resolved(client)
    assert body["counts"]["contracts"] == 6 and cache.resolves == resolves + 2

    # Later days: rb2601's last is 2026-01-15.
    app.state.clock = lambda: datetime(2025, 12, 1, 21, 0, tzinfo=CHINA_TZ)  # night session
    assert (await _resolved(client))["trading_day"] == "2025-12-02"
    app.state.clock = lambda: datetime(2026, 1, 15, 10, 0, tzinfo=CHINA_TZ)
    body = await _resolved(client)
    assert body["trading_day"] == "2026-01-15"
    assert "rb2601.SHFE" in [vt for vt, _, _ in _rows(body)]
    app.state.clock = lambda: datetime(2026, 1, 15, 21, 0, tzinfo=CHINA_TZ)
    body = await _resolved(client)
    assert body["trading_day"] == "2026-01-16"
    assert "rb2601.SHFE" not in [vt for vt, _, _ in _rows(body)]


async def test_resolved_refuses_bad_parameters(client: httpx.AsyncClient) -> None:
    for params, field in (
        ({"problem": "broken"}, "problem"),
        ({"limit": 0}, "limit"),
        ({"limit": 5001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"search": "a\x01"}, "search"),
        ({"search": "x" * 65}, "search"),
        ({"page": 2}, "page"),
    ):
        response = await client.get("/api/universe/resolved", params=params)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_the_main_contracts_bucket_is_followed(
    api_settings: Settings, nc: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tickhub_api.feed.MAIN_CONTRACTS_RETRY_S", 0.2)
    async with serving(api_settings) as served:
        await wait_for(lambda: served.link.connected, 20)
        ws, _ = await open_feed(served.ws_url)
        async with ws:
            bucket = await kv.open_bucket(nc, buckets.MAIN_CONTRACTS, create=True)
            main = MainContract(
                alias="au888.SHFE", vt_symbol="au2606.SHFE", trading_day=DAY, decided_at=AT
            )
            await bucket.put(buckets.product_key("SHFE", "au"), codec.encode(main))
            got = await next_of(ws, "main_contract_changed")
            assert (got["data"]["alias"], got["data"]["vt_symbol"]) == ("au888.SHFE", "au2606.SHFE")
            assert served.link.board.main_contracts["au888.SHFE"] == main
            await bucket.delete(buckets.product_key("SHFE", "au"))
            await wait_for(lambda: not served.link.board.main_contracts)


async def test_universe_news_reaches_the_ws_clients(api_settings: Settings, nc: Client) -> None:
    async with serving(api_settings) as served:
        await wait_for(lambda: served.link.connected, 20)
        ws, _ = await open_feed(served.ws_url)
        async with ws, httpx.AsyncClient(base_url=served.http_url, headers=AUTH) as client:
            epoch = served.feed.universe_epoch
            created = await _add(client, "rb.SHFE")
            got = await next_of(ws, "universe_changed")
            assert (got["data"]["action"], got["data"]["entry"]) == ("created", created["text"])
            assert served.feed.universe_epoch == epoch + 1

            refreshed = CatalogRefreshed(
                ok=True, origin="ctp-main", trading_day=DAY, instruments=8, listed=["x.SHFE"], at=AT
            )
            await nc.publish(subjects.CATALOG_CHANGED, codec.encode(refreshed))
            got = await next_of(ws, "catalog_changed")
            assert (got["data"]["origin"], got["data"]["instruments"]) == ("ctp-main", 8)

            allocation = served.feed.allocation_epoch
            await nc.publish(
                subjects.ALLOCATION_CHANGED, codec.encode(UniverseChanged(at=AT, action="updated"))
            )
            got = await next_of(ws, "allocation_changed")
            assert got["data"]["action"] == "updated"
            assert served.feed.allocation_epoch == allocation + 1

            main = MainContract(
                alias="rb888.SHFE", vt_symbol="rb2605.SHFE", trading_day=DAY, decided_at=AT
            )
            await nc.publish(subjects.MAIN_CONTRACT_CHANGED, codec.encode(main))
            got = await next_of(ws, "main_contract_changed")
            assert got["data"]["vt_symbol"] == "rb2605.SHFE"
            # The same decision again is no news: the next notice is the allocation's.
            await nc.publish(subjects.MAIN_CONTRACT_CHANGED, codec.encode(main))
            await nc.publish(
                subjects.ALLOCATION_CHANGED, codec.encode(UniverseChanged(at=AT, action="updated"))
            )
            while (message := await receive(ws))["type"] != "allocation_changed":
                assert message["type"] != "main_contract_changed", message


# --- the catalog --------------------------------------------------------------------


async def test_the_catalog_is_searched_and_paged(client: httpx.AsyncClient) -> None:
    empty = (await client.get("/api/instruments")).json()
    assert (empty["total"], empty["instruments"], empty["catalog"]["instruments"]) == (0, [], 0)

    await replace_catalog(CATALOG, origin="file", trading_day=DAY, at=AT)
    everything = (await client.get("/api/instruments")).json()
    assert everything["total"] == 8
    assert [i["vt_symbol"] for i in everything["instruments"]] == sorted(
        i.vt_symbol for i in CATALOG
    )
    assert everything["catalog"]["origin"] == "file"
    option = next(i for i in everything["instruments"] if i["kind"] == "option")
    assert option == {
        "vt_symbol": "au2606C500.SHFE",
        "symbol": "au2606C500",
        "exchange": "SHFE",
        "product": "au_o",
        "kind": "option",
        "name": "黄金2606购500",
        "expiry": "2026-04-24",
        "listed": None,
        "tick_size": 0.0,
        "multiplier": 0.0,
        "underlying": "au2606.SHFE",
        "option_type": "call",
        "strike": 500.0,
    }

    async def found(**params: Any) -> tuple[int, list[str]]:
        response = await client.get("/api/instruments", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["total"], [i["vt_symbol"] for i in body["instruments"]]

    assert await found(search="RB26") == (
        3,
        ["rb2601.SHFE", "rb2605.SHFE", "rb2610.SHFE"],
    )
    assert await found(search="螺纹") == (1, ["rb2605.SHFE"])
    assert await found(exchange="DCE") == (1, ["m2605.DCE"])
    assert await found(kind="option") == (1, ["au2606C500.SHFE"])
    assert await found(search="rb", offset=1, limit=2) == (4, ["rb2601.SHFE", "rb2605.SHFE"])
    assert await found(search="%") == (0, [])  # a wildcard of SQL's is just a character
    assert await found(search="_") == (0, [])
    for params, field in (
        ({"exchange": "LME"}, "exchange"),
        ({"kind": "bond"}, "kind"),
        ({"limit": 1001}, "limit"),
        ({"search": "\x00"}, "search"),
    ):
        response = await client.get("/api/instruments", params=params)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_refresh_is_asked_of_the_gateway_manager(
    app: FastAPI, client: httpx.AsyncClient, nc: Client
) -> None:
    response = await client.post("/api/instruments/refresh")
    assert response.status_code == 503, response.text
    assert "no gateway manager is listening" in response.json()["detail"]

    asked: list[CatalogRefresh] = []
    answer = CatalogRefreshed(
        ok=True,
        origin="ctp-main",
        trading_day=DAY,
        instruments=41237,
        listed=["rb2612.SHFE"],
        expired=["rb2511.SHFE"],
        at=AT,
    )

    async def manager(msg: Msg) -> None:
        asked.append(codec.decode(msg.data, CatalogRefresh))
        await msg.respond(codec.encode(answer))

    subscription = await nc.subscribe(subjects.CATALOG_REFRESH, cb=manager)
    await nc.flush()
    response = await client.post("/api/instruments/refresh")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ok": True,
        "origin": "ctp-main",
        "trading_day": "2025-12-02",
        "instruments": 41237,
        "listed": ["rb2612.SHFE"],
        "expired": ["rb2511.SHFE"],
        "at": "2025-12-01T12:30:00Z",
        "error": "",
    }
    assert [a.by for a in asked] == ["api"]

    answer = CatalogRefreshed(ok=False, error="no running account can list instruments")
    response = await client.post("/api/instruments/refresh")
    assert response.status_code == 502, response.text
    assert response.json()["detail"] == "no running account can list instruments"
    await subscription.unsubscribe()

    async def slow(msg: Msg) -> None:
        await asyncio.sleep(2)

    subscription = await nc.subscribe(subjects.CATALOG_REFRESH, cb=slow)
    await nc.flush()
    app.state.refresh_timeout_s = 0.3
    response = await client.post("/api/instruments/refresh")
    assert response.status_code == 503, response.text
    assert "did not answer within 0.3 s" in response.json()["detail"]
    await subscription.unsubscribe()


# --- the accounts' capacity and exclusions ------------------------------------------


async def test_accounts_take_a_capacity_and_exclusions(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/accounts", json=bodies.sim(contracts=[]))
    assert response.status_code == 201, response.text
    account = response.json()
    assert (account["contracts"], account["capacity"], account["excluded"]) == ([], 5000, [])

    response = await client.put(
        f"/api/accounts/{account['id']}",
        json={"capacity": 800, "excluded": ["CZCE", "SR.CZCE", "au.SHFE"]},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["capacity"], response.json()["excluded"]) == (
        800,
        ["CZCE", "SR.CZCE", "au.SHFE"],
    )
    again = (await client.get(f"/api/accounts/{account['id']}")).json()
    assert (again["capacity"], again["excluded"]) == (800, ["CZCE", "SR.CZCE", "au.SHFE"])

    for body, field in (
        ({"capacity": 0}, "capacity"),
        ({"capacity": 100_001}, "capacity"),
        ({"capacity": "10"}, "capacity"),
        ({"excluded": ["LME"]}, "excluded.0"),
        ({"excluded": ["SR.czce"]}, "excluded.0"),
        ({"excluded": "CZCE"}, "excluded"),
    ):
        response = await client.put(f"/api/accounts/{account['id']}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field]
