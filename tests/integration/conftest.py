"""Fixtures that start real servers for the integration tests.

Every test gets its own nats-server on a free port, so tests never see each other's
messages and never touch the machine's own server on 4222.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client

from tickhub_cli.natsserver import NatsServer
from tickhub_cli.postgres import EmbeddedPostgres
from tickhub_contracts.messages import SourceConfig
from tickhub_harness.failover_hub import Hub
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def ctp_locale_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One zh_CN.GB18030 locale for every ctp worker of the run.

    Workers get it as the manager gives it in production (TICKHUB_CTP_LOCALE_DIR, read
    by every Settings); compiled once here instead of once per test's data dir (it
    takes seconds), or none at all where the system has the locale.
    """
    from tickhub_gateway.sources.ctp import environment as ctp_environment

    directory = tmp_path_factory.mktemp("locale")
    if not ctp_environment.locale_loads():
        ctp_environment.compile_locale(directory)
    previous = os.environ.get("TICKHUB_CTP_LOCALE_DIR")
    os.environ["TICKHUB_CTP_LOCALE_DIR"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("TICKHUB_CTP_LOCALE_DIR", None)
    else:
        os.environ["TICKHUB_CTP_LOCALE_DIR"] = previous


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def settings(nats_server: NatsServer, tmp_path: Path) -> Settings:
    """Settings pointing at this test's NATS and data dir; tests copy and adjust."""
    return Settings(
        nats_url=nats_server.url,
        data_dir=tmp_path / "data",
        zmq_pub="tcp://127.0.0.1:0",
        zmq_recovery="tcp://127.0.0.1:0",
        _env_file=None,
    )


@pytest.fixture
async def nc(settings: Settings) -> AsyncIterator[Client]:
    """A NATS client for the test itself (to watch subjects and send commands)."""
    client = await bus.connect(settings, "test")
    yield client
    await client.drain()


# --- PostgreSQL --------------------------------------------------------------------


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run, as an admin URL.

    ``TICKHUB_TEST_DATABASE_URL`` when set (CI: this machine's server); else a
    testcontainers PostgreSQL when a Docker engine answers; else the embedded server
    (run as an unprivileged user when we are root).
    """
    url = os.environ.get("TICKHUB_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    # Not under pytest's tmp dir: that one is closed (mode 700) to the server's user.
    base = Path(tempfile.mkdtemp(prefix="tickhub-pg-"))
    base.chmod(0o711)
    try:
        with EmbeddedPostgres(base / "data") as server:
            yield server.url
    finally:
        shutil.rmtree(base, ignore_errors=True)


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``?schema=``: tickhub's connections then live in that schema."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@asynccontextmanager
async def own_schema(admin_url: str) -> AsyncIterator[str]:
    """A new empty schema on the server, as a URL whose connections live in it;
    dropped on exit."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(admin_url, timeout=30)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    try:
        yield with_schema(admin_url, schema)
    finally:
        admin = await asyncpg.connect(admin_url, timeout=30)
        try:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await admin.close()


@pytest.fixture
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """An empty schema of this test's own (the search path of every connection made
    with this URL), dropped afterwards: tests never see each other's rows, and can
    run beside other helpers' tests on the same server."""
    async with own_schema(postgres_server_url) as url:
        yield url


# --- a whole hub ------------------------------------------------------------------------

MakeHub = Callable[..., Awaitable[Hub]]


@pytest.fixture
async def make_hub(tmp_path: Path) -> AsyncIterator[MakeHub]:
    """``await make_hub([sources...], **kw)``: nats-server and every service as real
    processes (:class:`~tickhub_harness.failover_hub.Hub`). Whatever was started is
    ended at teardown, also when the test failed half-way, and each hub's last words
    (verdicts, routing, log tails) are printed so a failure explains itself."""
    hubs: list[Hub] = []

    async def make(sources: Sequence[SourceConfig], **kw: Any) -> Hub:
        hub = Hub(tmp_path / f"hub{len(hubs)}", sources, **kw)
        hubs.append(hub)
        return await hub.start()

    try:
        yield make
    finally:
        for hub in hubs:
            print(hub.diagnostics())
            await hub.close()
