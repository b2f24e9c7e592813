"""The database goes down under a running gateway service (a real PostgreSQL, the
embedded server, stopped and started again on its port): the pool it last read keeps
running, the outage is logged once, and when the database returns the service
catches up with what changed."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from tests.integration.gateway.conftest import START_TIMEOUT, alive, pool
from tests.integration.pool.conftest import (
    CANARY,
    GatewayService,
    Watch,
    gateway_env,
    has_worker,
    running,
)
from tickhub_accounts.db import open_database
from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.rules import SimConfig
from tickhub_api import migrate
from tickhub_cli.ports import free_port
from tickhub_cli.postgres import EmbeddedPostgres
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import AccountChanged
from tickhub_runtime.settings import Settings

DOWN_LINE = "database unreachable"
STILL_DOWN_LINE = "database still unreachable"
BACK_LINE = "database reachable again"


@pytest.fixture
def base() -> Iterator[Path]:
    # Not pytest's tmp dir: that one is closed (mode 700) to the server's user.
    path = Path(tempfile.mkdtemp(prefix="tickhub-pool-pg-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(base: Path) -> Iterator[EmbeddedPostgres]:
    postgres = EmbeddedPostgres(base / "data", port=free_port()).start()
    try:
        yield postgres
    finally:
        postgres.stop()


async def _add_sim(url: str, name: str, priority: int) -> None:
    """Straight into the database: no announcement, only the poll can find it."""
    async with open_database(url, timeout_s=5) as _:
        await MarketDataAccount.create(
            name=name,
            gateway_type="sim",
            priority=priority,
            is_enabled=True,
            canary=CANARY,
            contracts=["m2605.DCE"],
            settings=SimConfig().model_dump(),
        )


async def _log_count(service: GatewayService, line: str, count: int, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while service.text().count(line) < count:
        assert loop.time() < deadline, f"{count} x {line!r} not logged in {within} s"
        await asyncio.sleep(0.1)


async def test_the_pool_survives_a_database_outage_and_catches_up(
    server: EmbeddedPostgres,
    settings: Settings,
    nc: Client,
    watch: Watch,
    gateway_service: GatewayService,
) -> None:
    await migrate.upgrade(server.url)
    await _add_sim(server.url, "sim-a", 1)
    # The embedded server's URL (its own password), a short database timeout.
    gateway_service.env = gateway_env(
        settings, server.url, TICKHUB_DATABASE_TIMEOUT_S="2", TICKHUB_POOL_POLL_S="1"
    )
    await gateway_service.start()
    up = await watch.until(running("sim-a"))
    assert up.pid is not None

    server.stop()
    # An announcement during the outage: a read is tried at once, and fails quietly.
    await nc.publish(
        subjects.ACCOUNTS_CHANGED,
        codec.encode(
            AccountChanged(account_id=1, name="sim-a", action="updated", at=up.at, fields=["x"])
        ),
    )
    # Several failed reads (one a second), one warning.
    await _log_count(gateway_service, STILL_DOWN_LINE, 3, within=30)
    text = gateway_service.text()
    assert text.count(DOWN_LINE) == 1, "the outage was logged more than once"
    assert "keeping the pool of 1 source(s)" in text
    assert "Traceback" not in text
    # The pool it last knew keeps running: same process, still connected.
    assert alive(up.pid)
    now = {g.source: g for g in (await pool(nc)).gateways}
    assert now["sim-a"].pid == up.pid and now["sim-a"].connected

    server.start()
    mark = watch.mark()
    await _add_sim(server.url, "sim-b", 2)
    await watch.until(has_worker("sim-b"), within=START_TIMEOUT, after=mark)
    await watch.until(running("sim-b"), after=mark)
    await _log_count(gateway_service, BACK_LINE, 1, within=10)
    assert gateway_service.text().count(BACK_LINE) == 1
    assert alive(up.pid), "the running worker was restarted by the recovery"
