"""The live pool under test: the real gateway service (``python -m tickhub_gateway``)
with sim and ctp workers, reading this test's own PostgreSQL schema; the real api
(in process) changing accounts and commanding the manager; a real nats-server.

Every message on the bus during a pool test is captured, and no account secret may
appear in any of them (:func:`no_secret_on_the_bus`, autouse).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tests.integration.api import conftest as api_fixtures
from tests.integration.gateway.conftest import START_TIMEOUT, Inbox, alive, inbox
from tickhub_contracts import subjects
from tickhub_contracts.messages import GatewayStatus
from tickhub_runtime.settings import Settings

# The api's fixtures, reused: its settings (this test's NATS, schema, token and key),
# the app with its lifespan running, and an authorised client of it.
migrated_url = api_fixtures.migrated_url
api_settings = api_fixtures.api_settings
app = api_fixtures.app
client = api_fixtures.client
SECRET_KEY = api_fixtures.SECRET_KEY

PASSWORD = "Pool-Pw-3b8d51e0-no-leak"
AUTH_CODE = "AC3b8d51e0NOLEAK"
SECRETS = (PASSWORD, AUTH_CODE)

CONTRACTS = ["rb2605.SHFE", "m2605.DCE"]
CANARY = "rb2605.SHFE"

WORKER_WITHIN_S = 5.0
"""The issue's promise: a created or enabled account gets a worker within 5 s."""


def sim_body(name: str, priority: int = 1, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "gateway_type": "sim",
        "priority": priority,
        "canary": CANARY,
        "contracts": list(CONTRACTS),
    }
    body.update(extra)
    return body


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ctp_body(name: str, priority: int = 1, **extra: Any) -> dict[str, Any]:
    """A CTP account whose front is a closed local port: its worker runs the real
    vnpy_ctp and reports disconnected."""
    body: dict[str, Any] = {
        "name": name,
        "gateway_type": "ctp",
        "priority": priority,
        "canary": CANARY,
        "contracts": list(CONTRACTS),
        "ctp": {
            "userid": "089123",
            "password": PASSWORD,
            "broker_id": "9999",
            "md_fronts": [f"tcp://127.0.0.1:{closed_port()}"],
            "auth_code": AUTH_CODE,
            "app_id": "simnow_client_test",
            "environment": "test",
            "connect_timeout_s": 2.0,
        },
    }
    body.update(extra)
    return body


# --- the gateway service process ---------------------------------------------------------


def gateway_env(settings: Settings, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    env.update(
        TICKHUB_NATS_URL=settings.resolved_nats_url,
        TICKHUB_DATA_DIR=str(settings.data_dir),
        TICKHUB_SECRET_KEY=SECRET_KEY,
        TICKHUB_LOG_LEVEL="DEBUG",
    )
    if database_url is not None:
        env["TICKHUB_DATABASE_URL"] = database_url
    env.update(extra)
    return env


@dataclass
class GatewayService:
    """``python -m tickhub_gateway`` as a child of the test, its log in a file."""

    env: dict[str, str]
    log: Path
    cwd: Path
    process: asyncio.subprocess.Process | None = None
    runs: int = 0
    worker_pids: set[int] = field(default_factory=set)

    async def start(self) -> GatewayService:
        self.runs += 1
        with self.log.open("ab") as out:
            out.write(f"--- run {self.runs} ---\n".encode())
            out.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tickhub_gateway",
                env=self.env,
                stdout=out,
                stderr=out,
                cwd=self.cwd,
            )
        return self

    async def stop(self, within: float = 30.0) -> int:
        """SIGTERM and wait (the service stops its workers first); its exit code."""
        process = self.process
        assert process is not None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), within)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise AssertionError(
                    f"the gateway service ignored SIGTERM: {self.text()}"
                ) from None
        assert process.returncode is not None
        return process.returncode

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(AssertionError):
                await self.stop()
        for pid in self.worker_pids:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


LOG_TAIL_LINES = 80
"""The gateway log's last lines shown under a failed pool test."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test shows the gateway service's last log lines beside pytest's own
    capture: the service runs as a child, and what it did is the first question."""
    report = yield
    service = getattr(item, "funcargs", {}).get("gateway_service")
    if report.failed and isinstance(service, GatewayService):
        tail = service.text().splitlines()[-LOG_TAIL_LINES:]
        report.sections.append((f"gateway log (last {LOG_TAIL_LINES} lines)", "\n".join(tail)))
    return report


@pytest.fixture
async def gateway_service(
    api_settings: Settings, migrated_url: str, tmp_path: Path
) -> AsyncIterator[GatewayService]:
    """The gateway service on this test's database (not started yet: ``await
    gateway_service.start()``), stopped at teardown, no worker left behind."""
    service = GatewayService(
        gateway_env(api_settings, migrated_url), tmp_path / "gateway.log", tmp_path
    )
    yield service
    await service.close()
    assert [pid for pid in service.worker_pids if alive(pid)] == [], "workers left running"


# --- watching the bus ------------------------------------------------------------------


@pytest.fixture
async def statuses(nc: Client) -> Inbox[GatewayStatus]:
    return await inbox(nc, subjects.STATUS_ALL, GatewayStatus)


class Watch:
    """Waits on statuses and remembers every worker pid seen (for the leftover check)."""

    def __init__(self, statuses: Inbox[GatewayStatus], service: GatewayService) -> None:
        self.statuses = statuses
        self.service = service

    def mark(self) -> int:
        return len(self.statuses.items)

    async def until(
        self,
        predicate: Callable[[GatewayStatus], bool],
        within: float = START_TIMEOUT,
        after: int = 0,
    ) -> GatewayStatus:
        status = await self.statuses.wait_for(predicate, within, after)
        for _, seen in self.statuses.items:
            if seen.pid is not None:
                self.service.worker_pids.add(seen.pid)
        return status


@pytest.fixture
def watch(statuses: Inbox[GatewayStatus], gateway_service: GatewayService) -> Watch:
    return Watch(statuses, gateway_service)


def has_worker(name: str) -> Callable[[GatewayStatus], bool]:
    """A worker process exists (started, maybe not yet heartbeating)."""
    return lambda s: s.source == name and s.pid is not None and s.state in ("starting", "running")


def running(name: str) -> Callable[[GatewayStatus], bool]:
    return lambda s: s.source == name and s.state == "running" and s.connected


def stopped(name: str, reason: str = "") -> Callable[[GatewayStatus], bool]:
    return lambda s: s.source == name and s.state == "stopped" and reason in s.reason


# --- no secret on the bus --------------------------------------------------------------


@dataclass
class BusCapture:
    messages: list[Msg] = field(default_factory=list)


@pytest.fixture(autouse=True)
async def no_secret_on_the_bus(nc: Client) -> AsyncIterator[BusCapture]:
    """Every message on this test's NATS (``>``: the tickhub subjects, JetStream's API
    and the KV buckets' subjects), checked at the end for the accounts' secrets."""
    capture = BusCapture()

    async def keep(msg: Msg) -> None:
        capture.messages.append(msg)

    sub = await nc.subscribe(">", cb=keep)
    await nc.flush()
    yield capture
    await sub.unsubscribe()
    for msg in capture.messages:
        for secret in SECRETS:
            assert secret.encode() not in msg.data, f"a secret went out on {msg.subject}"
            assert secret.encode() not in (msg.subject or "").encode()


async def create(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/api/accounts", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
