"""/api/accounts round trips against a real PostgreSQL (a schema of this test's own)."""

from __future__ import annotations

import httpx

from tests.integration.api import bodies
from tests.integration.api.conftest import SECRET_KEY, Rows
from tickhub_accounts.crypto import SecretBox
from tickhub_accounts.db import open_database
from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.source_config import enabled_source_configs, to_source_config


async def test_create_read_list_update_delete_round_trip(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/accounts", json=bodies.sim("sim-x", 3))
    assert created.status_code == 201, created.text
    account = created.json()
    assert created.headers["location"] == f"/api/accounts/{account['id']}"
    assert account["name"] == "sim-x"
    assert account["gateway_type"] == "sim"
    assert account["priority"] == 3
    assert account["is_enabled"] is True
    assert account["canary"] == "rb2605.SHFE"
    assert account["contracts"] == ["rb2605.SHFE", "m2605.DCE"]
    assert account["sim"] == {
        "ticks_per_second": 2.0,
        "delay_ms": 10.0,
        "seed": 7,
        "fail_login": False,
    }
    assert account["ctp"] is None

    read = await client.get(f"/api/accounts/{account['id']}")
    assert read.status_code == 200
    assert read.json() == account

    updated = await client.put(f"/api/accounts/{account['id']}", json={"priority": 9})
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert after["priority"] == 9
    # Partial: everything else kept.
    assert {k: v for k, v in after.items() if k not in ("priority", "updated_at")} == {
        k: v for k, v in account.items() if k not in ("priority", "updated_at")
    }
    assert after["updated_at"] > account["updated_at"]

    listed = await client.get("/api/accounts")
    assert [a["id"] for a in listed.json()] == [account["id"]]

    deleted = await client.delete(f"/api/accounts/{account['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = await client.get(f"/api/accounts/{account['id']}")
    assert missing.status_code == 404
    assert missing.json()["type"] == "not_found"
    assert (await client.delete(f"/api/accounts/{account['id']}")).status_code == 404
    assert (await client.get("/api/accounts")).json() == []


async def test_ctp_account_keeps_secrets_encrypted_and_write_only(
    client: httpx.AsyncClient, rows: Rows, api_settings: object
) -> None:
    created = await client.post("/api/accounts", json=bodies.ctp())
    assert created.status_code == 201, created.text
    ctp = created.json()["ctp"]
    assert ctp["password_set"] is True and ctp["auth_code_set"] is True
    assert "password" not in ctp and "auth_code" not in ctp
    assert ctp["md_fronts"] == ["tcp://127.0.0.1:10211", "ssl://md.example.com:10212"]

    (row,) = await rows()
    assert bodies.PASSWORD not in str(row) and bodies.AUTH_CODE not in str(row)
    box = SecretBox([SECRET_KEY])
    assert box.decrypt(row["password_encrypted"]) == bodies.PASSWORD
    assert box.decrypt(row["auth_code_encrypted"]) == bodies.AUTH_CODE
    assert "password" not in row["settings"]


async def test_partial_update_merges_nested_settings_and_secrets(
    client: httpx.AsyncClient, rows: Rows
) -> None:
    account = (await client.post("/api/accounts", json=bodies.ctp())).json()
    (before,) = await rows()

    response = await client.put(
        f"/api/accounts/{account['id']}", json={"ctp": {"password": "n3w-password"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["ctp"] == account["ctp"]  # nothing visible changed
    (after,) = await rows()
    assert SecretBox([SECRET_KEY]).decrypt(after["password_encrypted"]) == "n3w-password"
    assert after["auth_code_encrypted"] == before["auth_code_encrypted"]
    assert after["settings"] == before["settings"]

    response = await client.put(
        f"/api/accounts/{account['id']}",
        json={"ctp": {"md_fronts": ["tcp://10.0.0.1:41205"], "auth_code": None}},
    )
    assert response.status_code == 200, response.text
    ctp = response.json()["ctp"]
    assert ctp["md_fronts"] == ["tcp://10.0.0.1:41205"]
    assert ctp["userid"] == "089123" and ctp["app_id"] == "simnow_client_test"
    assert ctp["password_set"] is True and ctp["auth_code_set"] is False

    # A PUT that changes nothing writes nothing.
    (unchanged_before,) = await rows()
    response = await client.put(f"/api/accounts/{account['id']}", json={"priority": 1})
    assert response.status_code == 200
    (unchanged_after,) = await rows()
    assert unchanged_after["updated_at"] == unchanged_before["updated_at"]


async def test_changing_the_type_requires_and_replaces_the_settings(
    client: httpx.AsyncClient, rows: Rows
) -> None:
    account = (await client.post("/api/accounts", json=bodies.sim())).json()
    url = f"/api/accounts/{account['id']}"

    missing = await client.put(url, json={"gateway_type": "ctp"})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["ctp"]

    incomplete = await client.put(url, json={"gateway_type": "ctp", "ctp": {"userid": "1"}})
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.json()["errors"]} == {"ctp.broker_id", "ctp.md_fronts"}
    assert (await rows())[0]["gateway_type"] == "sim"

    to_ctp = await client.put(url, json={"gateway_type": "ctp", "ctp": bodies.ctp()["ctp"]})
    assert to_ctp.status_code == 200, to_ctp.text
    assert to_ctp.json()["sim"] is None and to_ctp.json()["ctp"]["password_set"] is True

    to_sim = await client.put(url, json={"gateway_type": "sim"})
    assert to_sim.status_code == 200, to_sim.text
    assert to_sim.json()["ctp"] is None
    assert to_sim.json()["sim"]["ticks_per_second"] == 2.0
    (row,) = await rows()
    assert row["password_encrypted"] is None and row["auth_code_encrypted"] is None


async def test_names_are_unique_ignoring_case(client: httpx.AsyncClient, rows: Rows) -> None:
    first = (await client.post("/api/accounts", json=bodies.sim("sim-a", 1))).json()
    second = (await client.post("/api/accounts", json=bodies.sim("sim-b", 2))).json()

    duplicate = await client.post("/api/accounts", json=bodies.sim("SIM-A", 3))
    assert duplicate.status_code == 409
    assert duplicate.json()["type"] == "conflict"

    rename = await client.put(f"/api/accounts/{second['id']}", json={"name": "sim-a"})
    assert rename.status_code == 409
    assert [r["name"] for r in await rows()] == ["sim-a", "sim-b"]

    # Its own name in another case is no conflict.
    recase = await client.put(f"/api/accounts/{first['id']}", json={"name": "Sim-A"})
    assert recase.status_code == 200
    assert recase.json()["name"] == "Sim-A"


async def test_list_is_ordered_by_priority_and_filters(client: httpx.AsyncClient) -> None:
    await client.post("/api/accounts", json=bodies.sim("c", 3))
    await client.post("/api/accounts", json=bodies.ctp("a", 1))
    await client.post("/api/accounts", json=bodies.sim("b", 2, is_enabled=False))

    names = [a["name"] for a in (await client.get("/api/accounts")).json()]
    assert names == ["a", "b", "c"]
    sims = (await client.get("/api/accounts", params={"gateway_type": "sim"})).json()
    assert [a["name"] for a in sims] == ["b", "c"]
    enabled = (await client.get("/api/accounts", params={"is_enabled": "true"})).json()
    assert [a["name"] for a in enabled] == ["a", "c"]
    bad = await client.get("/api/accounts", params={"gateway_type": "fix"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {
        "field": "gateway_type",
        "location": "query",
        "message": "Input should be 'ctp' or 'sim'",
        "type": "literal_error",
    }


async def test_rows_become_the_source_configs_the_gateway_runs(
    client: httpx.AsyncClient, migrated_url: str
) -> None:
    await client.post("/api/accounts", json=bodies.sim("sim-x", 2))
    await client.post("/api/accounts", json=bodies.ctp("ctp-main", 1))
    await client.post("/api/accounts", json=bodies.sim("sim-off", 0, is_enabled=False))

    box = SecretBox([SECRET_KEY])
    async with open_database(migrated_url):
        configs = await enabled_source_configs(box)
        ctp_row = await MarketDataAccount.get(name="ctp-main")
    assert [c.name for c in configs] == ["ctp-main", "sim-x"]
    ctp, sim = configs
    assert ctp == to_source_config(ctp_row, box)
    assert ctp.gateway_type == "ctp" and ctp.sim is None and ctp.ctp is not None
    assert ctp.ctp.password == bodies.PASSWORD and ctp.ctp.auth_code == bodies.AUTH_CODE
    assert ctp.ctp.md_fronts == ["tcp://127.0.0.1:10211", "ssl://md.example.com:10212"]
    assert ctp.ctp.environment == "test" and ctp.priority == 1
    assert ctp.all_symbols() == ["IF2512.CFFEX", "rb2605.SHFE"]
    assert sim.sim is not None and sim.sim.delay_ms == 10.0 and sim.sim.seed == 7
