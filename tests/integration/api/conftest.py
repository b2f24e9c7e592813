"""The api under test: in-process (httpx over ASGI) or as a real uvicorn process,
on this test's own NATS server and PostgreSQL schema."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from nats.aio.client import Client
from nats.aio.msg import Msg
from pydantic import SecretStr

from tickhub_api import migrate
from tickhub_api.main import create_app
from tickhub_cli.ports import free_port
from tickhub_runtime.settings import Settings

TOKEN = "test-token-0123456789abcdef"
SECRET_KEY = Fernet.generate_key().decode()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def wait_for(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def api_settings(settings: Settings, migrated_url: str, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "database_url": SecretStr(migrated_url),
            "api_token": SecretStr(TOKEN),
            "secret_key": SecretStr(SECRET_KEY),
            # Whether the checkout's dashboard is built must not change what these see.
            "dashboard_dir": tmp_path / "no-dashboard",
        }
    )


@pytest.fixture
async def app(api_settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running, connected to NATS."""
    application = create_app(api_settings)
    async with application.router.lifespan_context(application):
        await wait_for(lambda: application.state.nats.connected)
        yield application


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app of the test's own settings, its lifespan running, and an authorised client."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api", headers=AUTH) as c:
            yield app, c


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An authorised client of the in-process app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", headers=AUTH) as c:
        yield c


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without the token."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c


Rows = Callable[[], Awaitable[list[dict[str, Any]]]]


@pytest.fixture
def rows(migrated_url: str) -> Rows:
    """Reads the accounts table as stored (raw, beside the api)."""
    from tickhub_api.migrate import connect_args

    async def read() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(**connect_args(migrated_url, 10))
        try:
            records = await connection.fetch("SELECT * FROM accounts ORDER BY id")
        finally:
            await connection.close()
        return [dict(record) for record in records]

    return read


@dataclass
class Captured:
    messages: list[Msg]

    def payloads(self) -> list[bytes]:
        return [m.data for m in self.messages]

    def on(self, subject: str) -> list[Msg]:
        return [m for m in self.messages if m.subject == subject]


@pytest.fixture
async def bus_capture(nc: Client) -> AsyncIterator[Captured]:
    """Every message on this test's NATS server (``>``) while the test runs."""
    captured = Captured([])

    async def keep(msg: Msg) -> None:
        captured.messages.append(msg)

    subscription = await nc.subscribe(">", cb=keep)
    await nc.flush()
    yield captured
    await subscription.unsubscribe()


@dataclass
class ApiProcess:
    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def api_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    assert settings.database_url is not None
    env.update(
        TICKHUB_NATS_URL=settings.resolved_nats_url,
        TICKHUB_DATA_DIR=str(settings.data_dir),
        TICKHUB_DATABASE_URL=settings.database_url.get_secret_value(),
        TICKHUB_API_TOKEN=TOKEN,
        TICKHUB_SECRET_KEY=SECRET_KEY,
        TICKHUB_LOG_LEVEL="DEBUG",
    )
    if settings.dashboard_dir is not None:
        env["TICKHUB_DASHBOARD_DIR"] = str(settings.dashboard_dir)
    env.update(extra)
    return env


@pytest.fixture
def api_process(api_settings: Settings, tmp_path: Path) -> Iterator[ApiProcess]:
    """``python -m tickhub_api`` as a real uvicorn process (DEBUG logs to a file)."""
    port = free_port()
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tickhub_api"],
            env=api_env(api_settings, TICKHUB_API_PORT=str(port)),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = ApiProcess(f"http://127.0.0.1:{port}", port, log, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"api exited: {api.log_text()}"
            try:
                if httpx.get(f"{api.url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"api not ready: {api.log_text()}"
            time.sleep(0.1)
        yield api
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
