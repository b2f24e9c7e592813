"""The gateway service follows the account database live: created and enabled
accounts get a worker within 5 s, disabled and deleted ones are stopped, edited ones
restart with their new settings; a change nobody announced is caught by the poll."""

from __future__ import annotations

import time

import httpx
from nats.aio.client import Client

from tests.integration.gateway.conftest import TIMEOUT, pool
from tests.integration.pool.conftest import (
    CANARY,
    WORKER_WITHIN_S,
    GatewayService,
    Watch,
    create,
    has_worker,
    running,
    sim_body,
    stopped,
)
from tickhub_accounts.db import open_database
from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.rules import SimConfig


async def _start_with(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, *names: str
) -> dict[str, int]:
    """Accounts ``names`` created, then the service started and all of them running;
    returns their ids."""
    ids = {}
    for priority, name in enumerate(names, 1):
        ids[name] = (await create(client, sim_body(name, priority)))["id"]
    await gateway_service.start()
    for name in names:
        await watch.until(running(name))
    return ids


async def test_a_created_account_gets_a_worker_within_5_s_and_a_deleted_one_is_stopped(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    await _start_with(gateway_service, watch, client, "sim-a")

    mark = watch.mark()
    started = time.monotonic()
    created = await create(client, sim_body("sim-new", 2))
    first = await watch.until(has_worker("sim-new"), within=WORKER_WITHIN_S + 1, after=mark)
    assert time.monotonic() - started <= WORKER_WITHIN_S, "no worker within 5 s"
    assert first.priority == 2 and first.canary == CANARY
    up = await watch.until(running("sim-new"), after=mark)
    assert up.subscribed_count == len({*sim_body("x")["contracts"], CANARY})

    mark = watch.mark()
    response = await client.delete(f"/api/accounts/{created['id']}")
    assert response.status_code == 204
    gone = await watch.until(stopped("sim-new", "removed from the pool"), TIMEOUT, after=mark)
    assert gone.pid is None
    names = [g.source for g in (await pool(nc)).gateways]
    assert names == ["sim-a"]
    assert "Traceback" not in gateway_service.text()


async def test_disabled_is_stopped_and_enabled_again_starts_within_5_s(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    ids = await _start_with(gateway_service, watch, client, "sim-a", "sim-b")
    url = f"/api/accounts/{ids['sim-b']}"

    mark = watch.mark()
    assert (await client.put(url, json={"is_enabled": False})).status_code == 200
    off = await watch.until(stopped("sim-b", "disabled"), TIMEOUT, after=mark)
    assert off.pid is None
    # Disabled, it stays in view: a stopped source whose reason is "disabled".
    view = {g.source: g for g in (await pool(nc)).gateways}
    assert view["sim-b"].state == "stopped" and view["sim-b"].reason == "disabled"
    assert view["sim-a"].connected  # the other source is untouched

    mark = watch.mark()
    started = time.monotonic()
    assert (await client.put(url, json={"is_enabled": True})).status_code == 200
    await watch.until(has_worker("sim-b"), within=WORKER_WITHIN_S + 1, after=mark)
    assert time.monotonic() - started <= WORKER_WITHIN_S
    await watch.until(running("sim-b"), after=mark)


async def test_an_edited_account_restarts_with_its_new_settings(
    gateway_service: GatewayService, watch: Watch, client: httpx.AsyncClient, nc: Client
) -> None:
    ids = await _start_with(gateway_service, watch, client, "sim-a")
    before = (await pool(nc)).gateways[0]
    assert before.pid is not None
    url = f"/api/accounts/{ids['sim-a']}"

    mark = watch.mark()
    edit = {"contracts": ["SR605.CZCE"], "sim": {"delay_ms": 25.0}}
    assert (await client.put(url, json=edit)).status_code == 200
    after = await watch.until(
        lambda s: s.source == "sim-a" and s.connected and s.contracts == ["SR605.CZCE"],
        after=mark,
    )
    assert after.pid != before.pid, "not restarted: same process"
    assert after.subscribed_count == len({"SR605.CZCE", CANARY})
    assert after.restarts == before.restarts + 1

    # A priority change needs no new process: the status follows, the worker stays.
    mark = watch.mark()
    assert (await client.put(url, json={"priority": 7})).status_code == 200
    moved = await watch.until(
        lambda s: s.source == "sim-a" and s.priority == 7, TIMEOUT, after=mark
    )
    assert moved.pid == after.pid

    # A rename is a new source on the bus: the old name stops, the new one starts.
    mark = watch.mark()
    assert (await client.put(url, json={"name": "sim-renamed"})).status_code == 200
    await watch.until(stopped("sim-a", "removed from the pool"), TIMEOUT, after=mark)
    await watch.until(running("sim-renamed"), after=mark)


async def test_a_change_nobody_announced_is_caught_by_the_poll(
    gateway_service: GatewayService,
    watch: Watch,
    client: httpx.AsyncClient,
    migrated_url: str,
) -> None:
    """Written straight into the database (as if the api's announcement was lost
    while NATS was away): the gateway's periodic re-read finds it within 5 s."""
    await _start_with(gateway_service, watch, client, "sim-a")
    mark = watch.mark()
    started = time.monotonic()
    async with open_database(migrated_url) as _:
        await MarketDataAccount.create(
            name="sim-quiet",
            gateway_type="sim",
            priority=3,
            is_enabled=True,
            canary=CANARY,
            contracts=["m2605.DCE"],
            settings=SimConfig().model_dump(),
        )
    await watch.until(has_worker("sim-quiet"), within=WORKER_WITHIN_S + 1, after=mark)
    assert time.monotonic() - started <= WORKER_WITHIN_S
    await watch.until(running("sim-quiet"), after=mark)
