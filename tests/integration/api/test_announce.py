"""Account changes are announced on tickhub.accounts.changed: ids and field names."""

from __future__ import annotations

import httpx

from tests.integration.api import bodies
from tests.integration.api.conftest import Captured, wait_for
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import AccountChanged


def _changes(capture: Captured) -> list[AccountChanged]:
    return [codec.decode(m.data, AccountChanged) for m in capture.on(subjects.ACCOUNTS_CHANGED)]


async def test_create_update_delete_are_announced(
    client: httpx.AsyncClient, bus_capture: Captured
) -> None:
    account = (await client.post("/api/accounts", json=bodies.ctp("ctp-a"))).json()
    url = f"/api/accounts/{account['id']}"
    await client.put(url, json={"is_enabled": False})
    await client.put(url, json={"name": "ctp-b", "ctp": {"password": "other-password"}})
    await client.put(url, json={"priority": account["priority"]})  # no change: no message
    await client.put(url, json={"priority": -1})  # refused: no message
    await client.delete(url)

    await wait_for(lambda: len(_changes(bus_capture)) >= 4)
    created, disabled, renamed, deleted = _changes(bus_capture)
    assert (created.account_id, created.name, created.action) == (account["id"], "ctp-a", "created")
    assert (disabled.action, disabled.fields, disabled.previous_name) == (
        "updated",
        ["is_enabled"],
        None,
    )
    assert renamed.name == "ctp-b" and renamed.previous_name == "ctp-a"
    assert sorted(renamed.fields) == ["ctp.password", "name"]
    assert (deleted.action, deleted.name) == ("deleted", "ctp-b")
    assert len(_changes(bus_capture)) == 4
