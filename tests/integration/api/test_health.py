"""/health/ready names what is down; the api keeps serving and never answers 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from tests.integration.api import bodies
from tests.integration.api.conftest import running, wait_for
from tests.integration.conftest import own_schema
from tickhub_cli.natsserver import NatsServer
from tickhub_cli.ports import free_port
from tickhub_runtime.settings import Settings


async def test_ready_when_database_and_nats_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "nats": "ok"}


async def test_nats_down_is_503_naming_nats_and_back_when_it_returns(
    app: FastAPI, client: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    nats_server.kill()
    await wait_for(lambda: not app.state.nats.connected, 10)
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "nats": "unreachable"}
    # The account pool still works; the announcement waits in the client's buffer.
    assert (await client.post("/api/accounts", json=bodies.sim())).status_code == 201

    nats_server.restart()
    await wait_for(lambda: app.state.nats.connected, 20)
    assert (await client.get("/health/ready")).status_code == 200


async def test_database_unreachable_is_503_never_500(api_settings: Settings) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/tickhub"
    settings = api_settings.model_copy(
        update={"database_url": SecretStr(closed), "database_timeout_s": 2.0}
    )
    async with running(settings) as (app, client):
        await wait_for(lambda: app.state.nats.connected)
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "unreachable", "nats": "ok"}
        for method, path, body in (
            ("GET", "/api/accounts", None),
            ("POST", "/api/accounts", bodies.sim()),
            ("GET", "/api/accounts/1", None),
            ("PUT", "/api/accounts/1", {"priority": 2}),
            ("DELETE", "/api/accounts/1", None),
        ):
            response = await client.request(method, path, json=body)
            assert response.status_code == 503, (method, path, response.text)
            assert response.json()["type"] == "unavailable"
            assert response.headers["retry-after"] == "5"


async def test_unmigrated_database_is_reported(
    api_settings: Settings, postgres_server_url: str
) -> None:
    async with own_schema(postgres_server_url) as empty:
        settings = api_settings.model_copy(update={"database_url": SecretStr(empty)})
        await _unmigrated(settings)


async def _unmigrated(settings: Settings) -> None:
    async with running(settings) as (app, client):
        await wait_for(lambda: app.state.nats.connected)
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["database"] == "not migrated"
        listed = await client.get("/api/accounts")
        assert listed.status_code == 503
        assert "not migrated" in listed.json()["detail"]


async def test_no_database_configured_serves_and_says_so(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"database_url": None})
    async with running(settings) as (app, client):
        await wait_for(lambda: app.state.nats.connected)
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["database"] == "not configured"
        listed = await client.get("/api/accounts")
        assert listed.status_code == 503
        assert "TICKHUB_DATABASE_URL" in listed.json()["detail"]
