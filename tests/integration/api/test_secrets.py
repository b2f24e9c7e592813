"""A secret never leaves the api: not in a response body, a log line or a NATS message."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.integration.api import bodies
from tests.integration.api.conftest import AUTH, ApiProcess, Captured, wait_for

SECRETS = (bodies.PASSWORD, bodies.AUTH_CODE, "n3w-Secret-Pw-9f2c", "NEWAUTHCODE9f2c")


async def _exercise(client: httpx.AsyncClient) -> list[httpx.Response]:
    """Every route, with secrets in the requests, valid and invalid."""
    responses = []
    created = await client.post("/api/accounts", json=bodies.ctp())
    responses.append(created)
    account_id = created.json()["id"]
    url = f"/api/accounts/{account_id}"
    responses.append(await client.post("/api/accounts", json=bodies.ctp()))  # 409
    responses.append(await client.get("/api/accounts"))
    responses.append(await client.get(url))
    responses.append(
        await client.put(url, json={"ctp": {"password": SECRETS[2], "auth_code": SECRETS[3]}})
    )
    # Invalid: the refused values must not come back in the 422 either.
    responses.append(await client.put(url, json={"ctp": {"password": SECRETS[2] * 3}}))
    responses.append(await client.put(url, json={"ctp": {"auth_code": SECRETS[3] + "\n"}}))
    responses.append(await client.put(url, json={"ctp": {"password": SECRETS[2]}, "priority": -1}))
    responses.append(
        await client.post("/api/accounts", json=bodies.ctp("other", unknown=SECRETS[0]))
    )
    responses.append(await client.delete(url))
    return responses


async def test_no_secret_in_responses_logs_or_nats(
    client: httpx.AsyncClient, bus_capture: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, the database driver's queries too

    responses = await _exercise(client)

    assert [r.status_code for r in responses] == [201, 409, 200, 200, 200, 422, 422, 422, 422, 204]
    # The announcements went out (so the capture saw the bus) ...
    await wait_for(lambda: len(bus_capture.on("tickhub.accounts.changed")) == 3)
    lines = [record.getMessage() for record in caplog.records]
    assert any("account" in line and "created" in line for line in lines)
    # ... and nowhere is a secret.
    for secret in SECRETS:
        for response in responses:
            assert secret not in response.text, response.text
        for line in lines:
            assert secret not in line, line
        for payload in bus_capture.payloads():
            assert secret.encode() not in payload, payload


def test_no_secret_in_the_api_process_log(api_process: ApiProcess) -> None:
    """The real server at DEBUG (uvicorn, Tortoise's SQL with its parameters, ours)."""
    with httpx.Client(base_url=api_process.url, headers=AUTH, timeout=10) as client:
        created = client.post("/api/accounts", json=bodies.ctp())
        assert created.status_code == 201
        url = f"/api/accounts/{created.json()['id']}"
        assert client.put(url, json={"ctp": {"password": SECRETS[2]}}).status_code == 200
        assert client.put(url, json={"ctp": {"password": SECRETS[2] * 3}}).status_code == 422
        assert client.delete(url).status_code == 204
    log = api_process.log_text()
    assert "INSERT INTO" in log  # the SQL debug lines are there, so the check means something
    for secret in SECRETS[:3]:
        assert secret not in log
