"""The committed aerich migrations: they build an empty database, upgrade one with
accounts in it, leave nothing pending, match the models, and ``prestart`` applies
them (and the demo accounts and universe)."""

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

MIGRATION_FILES = sorted(p.name for p in (migrate.MIGRATIONS / "models").glob("[0-9]*_*.py"))
TABLES = {"accounts", "aerich", "universe_entries", "instruments", "catalog_state", "allocations"}


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
    assert await _tables(database_url) == TABLES
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
    assert sorted(len(r) for r in results) == [0, 0, len(MIGRATION_FILES)]


async def test_a_database_with_accounts_upgrades_to_the_universe(
    database_url: str, tmp_path: Path
) -> None:
    """A hub of before the universe (only the first migration applied, accounts in
    it) upgrades: its accounts keep their contracts (now an explicit list) and get the
    default capacity and no exclusions."""
    first = tmp_path / "migrations"
    (first / "models").mkdir(parents=True)
    shutil.copy(migrate.MIGRATIONS / "models" / MIGRATION_FILES[0], first / "models")

    async def upgrade_to_first() -> list[str]:
        command = Command(migrate.aerich_config(database_url), app=APP, location=str(first))
        async with command:
            return await command.upgrade(run_in_transaction=True)

    assert await asyncio.create_task(upgrade_to_first()) == [MIGRATION_FILES[0]]
    connection = await asyncpg.connect(**migrate.connect_args(database_url, 10))
    try:
        await connection.execute(
            "INSERT INTO accounts (name, gateway_type, priority, is_enabled, canary, contracts,"
            " settings, created_at, updated_at) VALUES ('sim-a', 'sim', 1, true, 'rb2605.SHFE',"
            " '[\"m2605.DCE\"]', '{}', now(), now())"
        )
        assert await migrate.upgrade(database_url) == MIGRATION_FILES[1:]
        row = await connection.fetchrow("SELECT contracts, capacity, excluded FROM accounts")
        assert row is not None
        assert (row["contracts"], row["capacity"], row["excluded"]) == ('["m2605.DCE"]', 5000, "[]")
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute("UPDATE accounts SET capacity = 0")
        account_id = await connection.fetchval("SELECT id FROM accounts")
        await connection.execute(
            "INSERT INTO allocations (account_id, contracts, updated_at) VALUES ($1, '[]', now())",
            account_id,
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(
                "INSERT INTO allocations (account_id, contracts, updated_at)"
                " VALUES ($1, '[]', now())",
                account_id,
            )
        await connection.execute("DELETE FROM accounts")
        assert await connection.fetchval("SELECT count(*) FROM allocations") == 0  # cascade
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(
                "INSERT INTO catalog_state (id, origin, instruments) VALUES (2, '', 0)"
            )
    finally:
        await connection.close()
    assert await migrate.pending(database_url) == []


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


async def _universe(url: str) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(**migrate.connect_args(url, 10))
    try:
        records = await connection.fetch("SELECT text, kind FROM universe_entries ORDER BY id")
        return [(r["text"], r["kind"]) for r in records]
    finally:
        await connection.close()


async def test_prestart_adds_the_demo_accounts_to_a_new_database_only(database_url: str) -> None:
    first = await asyncio.to_thread(_prestart, database_url)
    assert first.returncode == 0, first.stderr
    assert "added the demo accounts sim-a, sim-b" in first.stderr
    assert await _names(database_url) == ["sim-a", "sim-b"]
    # The demo runs on a universe: the products of TICKHUB_SIM_CONTRACTS and rb's
    # main contract; the accounts have no contract lists of their own.
    assert await _universe(database_url) == [
        ("rb.SHFE", "product"),
        ("au.SHFE", "product"),
        ("m.DCE", "product"),
        ("SR.CZCE", "product"),
        ("IF.CFFEX", "product"),
        ("rb888.SHFE", "alias"),
    ]
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
    assert await _universe(database_url) == []
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
