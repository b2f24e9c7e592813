"""The committed aerich migrations: they build an empty database, leave nothing
pending, match the models, and ``prestart`` applies them (and the demo accounts)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from aerich import Command

from tickhub_accounts.db import APP
from tickhub_api import migrate
from tickhub_cli.ports import free_port


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(**migrate.connect_args(url, 10))
    try:
        records = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await connection.close()
    return {r["table_name"] for r in records}


async def test_migrations_apply_to_an_empty_database_and_nothing_is_pending(
    database_url: str,
) -> None:
    assert await _tables(database_url) == set()
    assert await migrate.pending(database_url) == sorted(
        p.name for p in (migrate.MIGRATIONS / "models").glob("*.py")
    )

    applied = await migrate.upgrade(database_url)

    assert applied and applied[0].startswith("0_") and applied[0].endswith("_init.py")
    assert await _tables(database_url) == {"accounts", "aerich"}
    assert await migrate.pending(database_url) == []
    assert await migrate.upgrade(database_url) == []  # again: nothing to do


async def test_the_models_need_no_new_migration(database_url: str, tmp_path: Path) -> None:
    """What ``aerich migrate`` would write from the models now: nothing."""
    await migrate.upgrade(database_url)
    location = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, location)

    async def diff() -> str:
        command = Command(migrate.aerich_config(database_url), app=APP, location=str(location))
        async with command:
            return await command.migrate("check", no_input=True)

    assert await asyncio.create_task(diff()) == ""
    assert sorted(p.name for p in (location / "models").glob("*.py")) == sorted(
        p.name for p in (migrate.MIGRATIONS / "models").glob("*.py")
    )


async def test_concurrent_upgrades_apply_each_migration_once(database_url: str) -> None:
    results = await asyncio.gather(*(migrate.upgrade(database_url) for _ in range(3)))
    assert sorted(len(r) for r in results) == [0, 0, 1]


async def test_the_database_refuses_what_the_api_would(database_url: str) -> None:
    """CHECK constraints and case-insensitive names, below the api's validation."""
    await migrate.upgrade(database_url)
    connection = await asyncpg.connect(**migrate.connect_args(database_url, 10))
    insert = (
        "INSERT INTO accounts (name, gateway_type, priority, is_enabled, canary, contracts,"
        " settings, created_at, updated_at) VALUES ($1, $2, $3, true, 'rb2605.SHFE', '[]',"
        " '{}', now(), now())"
    )
    try:
        await connection.execute(insert, "sim-a", "sim", 1)
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(insert, "SIM-A", "sim", 1)
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(insert, "x", "fix", 1)
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(insert, "y", "sim", -1)
    finally:
        await connection.close()


def _prestart(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    env["TICKHUB_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "tickhub_api", "prestart", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


async def _names(url: str) -> list[str]:
    connection = await asyncpg.connect(**migrate.connect_args(url, 10))
    try:
        return [r["name"] for r in await connection.fetch("SELECT name FROM accounts ORDER BY id")]
    finally:
        await connection.close()


async def test_prestart_adds_the_demo_accounts_to_a_new_database_only(database_url: str) -> None:
    first = await asyncio.to_thread(_prestart, database_url)
    assert first.returncode == 0, first.stderr
    assert "added the demo accounts sim-a, sim-b" in first.stderr
    assert await _names(database_url) == ["sim-a", "sim-b"]
    assert await migrate.pending(database_url) == []

    second = await asyncio.to_thread(_prestart, database_url)
    assert second.returncode == 0, second.stderr
    assert await _names(database_url) == ["sim-a", "sim-b"]

    # An operator empties the pool: a restart does not bring the sims back.
    connection = await asyncpg.connect(**migrate.connect_args(database_url, 10))
    try:
        await connection.execute("DELETE FROM accounts")
    finally:
        await connection.close()
    third = await asyncio.to_thread(_prestart, database_url)
    assert third.returncode == 0, third.stderr
    assert await _names(database_url) == []


async def test_prestart_no_demo_leaves_the_pool_empty(database_url: str) -> None:
    result = await asyncio.to_thread(_prestart, database_url, "--no-demo")
    assert result.returncode == 0, result.stderr
    assert await _names(database_url) == []
    assert await migrate.pending(database_url) == []


def test_prestart_without_a_database_fails_in_one_line_in_time() -> None:
    url = f"postgresql://tickhub:secret-pw-1234@127.0.0.1:{free_port()}/tickhub"
    started = time.monotonic()
    result = _prestart(url, "--wait", "2")
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    last = result.stderr.strip().splitlines()[-1]
    assert "did not answer within 2 s" in last
    assert "secret-pw-1234" not in result.stderr  # the URL is shown redacted
    assert "Traceback" not in result.stderr
