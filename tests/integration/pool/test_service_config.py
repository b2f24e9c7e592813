"""How the gateway service gets its pool: the database, or TICKHUB_SOURCES (a static
list), never a default; with neither or both it refuses in one line. And the ctp
account's secrets, which the gateway decrypts, never reach the bus or its log."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.gateway.conftest import (
    CONTRACTS,
    START_TIMEOUT,
    TIMEOUT,
    inbox,
    sim,
)
from tests.integration.pool.conftest import (
    AUTH_CODE,
    PASSWORD,
    SECRETS,
    BusCapture,
    GatewayService,
    Watch,
    closed_port,
    create,
    ctp_body,
    gateway_env,
    running,
    sim_body,
)
from tickhub_cli import natsserver
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, GatewayStatus, Reply
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings


async def _refused(env: dict[str, str], cwd: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tickhub_gateway",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, out.decode()
    text = out.decode()
    assert "Traceback" not in text
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert len(errors) == 1, text
    return errors[0]


async def test_without_a_pool_the_service_refuses_in_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    line = await _refused(gateway_env(settings, None), tmp_path)
    assert "no sources to run" in line
    assert "TICKHUB_DATABASE_URL" in line and "TICKHUB_SOURCES" in line


async def test_with_two_pools_the_service_refuses_in_one_line(
    settings: Settings, tmp_path: Path, migrated_url: str
) -> None:
    static = json.dumps([json.loads(codec.encode(sim("sim-a")))])
    env = gateway_env(settings, migrated_url, TICKHUB_SOURCES=static)
    line = await _refused(env, tmp_path)
    assert "both TICKHUB_DATABASE_URL and TICKHUB_SOURCES" in line


async def test_a_database_url_that_is_not_postgresql_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    line = await _refused(gateway_env(settings, "sqlite:///tmp/pool.db"), tmp_path)
    assert "PostgreSQL" in line


async def test_a_stop_while_nats_is_unreachable_ends_the_service(
    settings: Settings, tmp_path: Path, migrated_url: str
) -> None:
    env = gateway_env(settings, migrated_url, TICKHUB_NATS_URL=f"nats://127.0.0.1:{closed_port()}")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tickhub_gateway",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    # It says it is waiting for NATS: then the stop comes.
    line = await asyncio.wait_for(proc.stdout.readuntil(b"Connect call failed"), 60)
    assert b"Traceback" not in line
    proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, out.decode()
    assert b"stopped before NATS was reached" in out


async def test_tickhub_sources_is_a_static_pool(
    settings: Settings, tmp_path: Path, watch: Watch, gateway_service: GatewayService
) -> None:
    static = [json.loads(codec.encode(sim("static-a", contracts=CONTRACTS)))]
    gateway_service.env = gateway_env(settings, None, TICKHUB_SOURCES=json.dumps(static))
    await gateway_service.start()
    await watch.until(running("static-a"))
    assert "static pool of TICKHUB_SOURCES: static-a" in gateway_service.text()


async def test_no_secret_reaches_the_bus_or_the_log(
    gateway_service: GatewayService,
    watch: Watch,
    client: httpx.AsyncClient,
    no_secret_on_the_bus: BusCapture,
) -> None:
    """A ctp account runs (its worker got the decrypted secrets on stdin), is edited
    (restarted with them again), stopped and started: everything on the bus is
    captured (the autouse check asserts no secret is in it), and so is the log."""
    account = await create(client, ctp_body("ctp-a"))
    await gateway_service.start()
    up = await watch.until(lambda s: s.source == "ctp-a" and s.state == "running")
    url = f"/api/accounts/{account['id']}"
    mark = watch.mark()
    # A setting the worker uses: a new process (contracts alone would be a resubscription).
    edit = {"priority": 4, "ctp": {"connect_timeout_s": 3.0}}
    assert (await client.put(url, json=edit)).status_code == 200
    await watch.until(
        lambda s: s.source == "ctp-a" and s.state == "running" and s.pid != up.pid,
        after=mark,
    )
    for action in ("stop", "start"):
        response = await client.post(f"{url}/{action}")
        assert response.status_code == 200, response.text
    gateways = await client.get("/api/gateways")
    assert gateways.status_code == 200 and "ctp-a" in gateways.text

    # The capture is not empty of what matters: the ctp source's own traffic.
    seen = {msg.subject for msg in no_secret_on_the_bus.messages}
    for subject in (
        subjects.status("ctp-a"),
        subjects.heartbeat("ctp-a"),
        subjects.connection("ctp-a"),
        subjects.control("ctp-a"),
        subjects.ACCOUNTS_CHANGED,
    ):
        assert subject in seen, subject
    assert any(s.startswith("tickhub.log.gateway.") for s in seen)
    assert any(s.startswith("$KV.tickhub_manual_stops.") for s in seen)
    log = gateway_service.text()
    assert "ctp-a" in log
    for secret in (*SECRETS, PASSWORD, AUTH_CODE):
        assert secret not in log


@pytest.fixture
def plain_nats(tmp_path: Path) -> Iterator[str]:
    """A nats-server without JetStream (as a user's own server may be)."""
    port = closed_port()
    server = subprocess.Popen(
        [natsserver.binary(), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"nats://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


async def test_without_jetstream_the_pool_runs_and_says_stops_are_not_kept(
    settings: Settings,
    plain_nats: str,
    migrated_url: str,
    client: httpx.AsyncClient,
    gateway_service: GatewayService,
) -> None:
    await create(client, sim_body("sim-a"))
    gateway_service.env = gateway_env(settings, migrated_url, TICKHUB_NATS_URL=plain_nats)
    plain = await bus.connect(settings.model_copy(update={"nats_url": plain_nats}), "test-plain")
    try:
        statuses = await inbox(plain, subjects.STATUS_ALL, GatewayStatus)
        await gateway_service.start()
        up = await statuses.wait_for(running("sim-a"), START_TIMEOUT)
        assert up.pid is not None
        gateway_service.worker_pids.add(up.pid)
        reply = await plain.request(
            subjects.control("sim-a"), codec.encode(Command(action="stop")), timeout=TIMEOUT
        )
        assert codec.decode(reply.data, Reply).ok
    finally:
        await plain.drain()
    text = gateway_service.text()
    assert text.count("manual stops: cannot") == 1, "logged once, not per attempt"
    assert "Traceback" not in text
