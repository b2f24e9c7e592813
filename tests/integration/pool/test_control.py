"""POST /api/accounts/{id}/start|stop|restart reach the GatewayManager by NATS
request/reply; without an answer in time the api says 504 instead of hanging; a
manual stop holds across a restart of the gateway service until an operator starts
the account again or enables it after disabling it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.aio.msg import Msg

from tests.integration.api.conftest import running as running_app
from tests.integration.gateway.conftest import START_TIMEOUT, TIMEOUT, alive, pool, until
from tests.integration.pool.conftest import (
    WORKER_WITHIN_S,
    GatewayService,
    Watch,
    create,
    has_worker,
    running,
    sim_body,
    stopped,
)
from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import Command, ManualStop
from tickhub_runtime import kv
from tickhub_runtime.settings import Settings


async def _post(client: httpx.AsyncClient, account_id: int, action: str) -> httpx.Response:
    return await client.post(f"/api/accounts/{account_id}/{action}")


async def _pid(nc: Client, name: str) -> int | None:
    return {g.source: g for g in (await pool(nc)).gateways}[name].pid


async def _two_running(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient
) -> dict[str, Any]:
    a = await create(client, sim_body("sim-a", 1))
    b = await create(client, sim_body("sim-b", 2))
    await gateway_service.start()
    await watch.until(running("sim-a"))
    await watch.until(running("sim-b"))
    return {"sim-a": a["id"], "sim-b": b["id"]}


async def test_start_stop_restart_reach_the_manager(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    ids = await _two_running(gateway_service, watch, client)
    a = ids["sim-a"]
    first = await _pid(nc, "sim-a")
    assert first is not None

    response = await _post(client, a, "stop")
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["state"], view["pid"], view["manual_stop"]) == ("stopped", None, True)
    assert view["name"] == "sim-a" and view["account_id"] == a
    assert "stopped by operator" in view["reason"]
    assert not alive(first)

    mark = watch.mark()
    response = await _post(client, a, "start")
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["state"] in ("starting", "running") and view["manual_stop"] is False
    second = view["pid"]
    assert isinstance(second, int) and second != first and alive(second)
    await watch.until(running("sim-a"), after=mark)

    mark = watch.mark()
    response = await _post(client, a, "restart")
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["pid"] not in (None, first, second), "a hard restart makes a new process"
    assert view["restarts"] == 1
    assert not alive(second)
    await watch.until(running("sim-a"), after=mark)
    # The other source was never touched.
    assert (await pool(nc)).gateways[1].restarts == 0


async def test_refusals_and_unknown_ids(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient
) -> None:
    ids = await _two_running(gateway_service, watch, client)
    b = ids["sim-b"]
    mark = watch.mark()
    assert (await client.put(f"/api/accounts/{b}", json={"is_enabled": False})).status_code == 200
    await watch.until(stopped("sim-b", "disabled"), TIMEOUT, after=mark)
    for action in ("start", "restart"):
        response = await _post(client, b, action)
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["type"] == "conflict" and "disabled" in problem["detail"]

    response = await _post(client, 999_999, "stop")
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert (await _post(client, ids["sim-a"], "fault")).status_code in (404, 405)


@pytest.fixture
async def quick_api(api_settings: Settings) -> Any:
    """The api with a 1 s command timeout."""
    async with running_app(api_settings.model_copy(update={"command_timeout_s": 1.0})) as both:
        yield both


async def _connected(app: FastAPI) -> None:
    await until(lambda: app.state.nats.connected, within=TIMEOUT)


async def test_no_manager_is_a_504_within_the_timeout(
    quick_api: tuple[FastAPI, httpx.AsyncClient], nc: Client
) -> None:
    app, client = quick_api
    await _connected(app)
    account = await create(client, sim_body("sim-a"))

    # Nobody listens on tickhub.control.*: NATS says so at once.
    started = time.monotonic()
    response = await _post(client, account["id"], "start")
    assert response.status_code == 504, response.text
    assert response.json()["type"] == "gateway_timeout"
    assert "gateway service" in response.json()["detail"]
    assert time.monotonic() - started < 1.0 + 2.0

    # A manager that takes the request and never answers (hung): 504 after the timeout.
    asked: list[Command] = []

    async def silent(msg: Msg) -> None:
        asked.append(codec.decode(msg.data, Command))

    await nc.subscribe(subjects.CONTROL_ALL, cb=silent)
    await nc.flush()
    started = time.monotonic()
    response = await _post(client, account["id"], "stop")
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    assert "within 1.0 s" in response.json()["detail"]
    assert 1.0 <= elapsed < 1.0 + 2.0
    assert [(c.action, c.by) for c in asked] == [("stop", "operator")]


async def _stop_record(nc: Client, name: str) -> ManualStop | None:
    bucket = await kv.open_bucket(nc, buckets.MANUAL_STOPS, create=False)
    try:
        entry = await bucket.get(buckets.manual_stop_key(name))
    except Exception:  # KeyNotFoundError, KeyDeletedError
        return None
    return codec.decode(entry.value or b"", ManualStop)


async def test_a_manual_stop_survives_a_restart_of_the_gateway_service(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    ids = await _two_running(gateway_service, watch, client)
    assert (await _post(client, ids["sim-a"], "stop")).status_code == 200
    record = await _stop_record(nc, "sim-a")
    assert record is not None and record.by == "operator"

    assert await gateway_service.stop() == 0
    mark = watch.mark()
    await gateway_service.start()
    # The new service runs sim-b, and keeps sim-a stopped: round after round of statuses.
    await watch.until(running("sim-b"), after=mark)
    held = await watch.statuses.wait_count(
        lambda s: s.source == "sim-a", count=3, within=START_TIMEOUT, after=mark
    )
    assert all(s.state == "stopped" and s.manual_stop and s.pid is None for s in held), held
    assert "remembered" in held[-1].reason

    # An operator starts it: it runs, and the bucket forgets the stop.
    mark = watch.mark()
    assert (await _post(client, ids["sim-a"], "start")).status_code == 200
    await watch.until(running("sim-a"), after=mark)
    assert await _stop_record(nc, "sim-a") is None


async def test_enabling_an_account_releases_its_manual_stop(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    ids = await _two_running(gateway_service, watch, client)
    url = f"/api/accounts/{ids['sim-a']}"

    # While the service runs: stop, disable, enable -> it starts within 5 s.
    assert (await _post(client, ids["sim-a"], "stop")).status_code == 200
    mark = watch.mark()
    assert (await client.put(url, json={"is_enabled": False})).status_code == 200
    await watch.until(stopped("sim-a", "disabled"), TIMEOUT, after=mark)
    mark = watch.mark()
    started = time.monotonic()
    assert (await client.put(url, json={"is_enabled": True})).status_code == 200
    await watch.until(has_worker("sim-a"), within=WORKER_WITHIN_S + 1, after=mark)
    assert time.monotonic() - started <= WORKER_WITHIN_S
    await watch.until(running("sim-a"), after=mark)

    # While the service is down: the api releases the stop itself.
    assert (await _post(client, ids["sim-a"], "stop")).status_code == 200
    assert await gateway_service.stop() == 0
    assert (await client.put(url, json={"is_enabled": False})).status_code == 200
    assert (await client.put(url, json={"is_enabled": True})).status_code == 200
    assert await _stop_record(nc, "sim-a") is None
    mark = watch.mark()
    await gateway_service.start()
    await watch.until(running("sim-a"), after=mark)


async def test_an_edit_keeps_a_manual_stop(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    """Editing a stopped account (even renaming it) does not start it."""
    ids = await _two_running(gateway_service, watch, client)
    url = f"/api/accounts/{ids['sim-a']}"
    assert (await _post(client, ids["sim-a"], "stop")).status_code == 200
    mark = watch.mark()
    edit = {"name": "sim-a2", "contracts": ["SR605.CZCE"]}
    assert (await client.put(url, json=edit)).status_code == 200
    await watch.until(lambda s: s.source == "sim-a2", TIMEOUT, after=mark)
    renamed = await watch.statuses.wait_count(
        lambda s: s.source == "sim-a2", count=2, within=START_TIMEOUT, after=mark
    )
    assert all(s.state == "stopped" and s.manual_stop for s in renamed), renamed
    assert await _stop_record(nc, "sim-a2") is not None
    assert await _stop_record(nc, "sim-a") is None
