"""The account database's schema: aerich migrations, applied before the api serves.

The migration files live in ``migrations/models`` beside this module and ship inside
the package. :func:`upgrade` holds a PostgreSQL advisory lock, so two api containers
(or ``tickhub up`` and a container) starting together migrate one after the other.

A new migration, after changing :mod:`tickhub_accounts.models`::

    TICKHUB_DATABASE_URL=postgresql://... uv run python -m tickhub_api makemigration NAME
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from aerich import Command
from tortoise.exceptions import OperationalError

from tickhub_accounts.db import APP, redact, tortoise_config
from tickhub_runtime.logs import get_logger

log = get_logger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock key ("tick" in ASCII): one migrating process at a time per database.
LOCK_KEY = 0x7469636B


class DatabaseUnavailable(RuntimeError):
    pass


def aerich_config(url: str, timeout_s: float = 5.0) -> dict[str, Any]:
    return tortoise_config(
        url,
        timeout_s=timeout_s,
        application_name="tickhub-migrate",
        extra_models=("aerich.models",),
    )


def connect_args(url: str, timeout_s: float) -> dict[str, Any]:
    """asyncpg's arguments for ``url`` (tortoise's parse, so ``?schema=`` is understood)."""
    credentials = tortoise_config(url, timeout_s=timeout_s)["connections"]["default"]["credentials"]
    args: dict[str, Any] = {
        key: credentials.get(key) for key in ("host", "port", "user", "password", "database")
    }
    args["timeout"] = timeout_s
    if credentials.get("schema"):
        args["server_settings"] = {"search_path": credentials["schema"]}
    return args


async def wait_for_database(url: str, timeout_s: float = 30.0, attempt_s: float = 5.0) -> None:
    """Return once PostgreSQL at ``url`` answers a query; :class:`DatabaseUnavailable`
    after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connection = await asyncpg.connect(**connect_args(url, attempt_s))
            try:
                await connection.fetchval("SELECT 1")
            finally:
                await connection.close()
            return
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(
                    f"PostgreSQL at {redact(url)} did not answer within {timeout_s:g} s: {error}"
                ) from None
            log.info("waiting for PostgreSQL at %s (%s)", redact(url), error)
            await asyncio.sleep(0.5)


@asynccontextmanager
async def migration_lock(url: str, timeout_s: float = 60.0) -> AsyncIterator[None]:
    """Held by one process at a time for a database (a session-level advisory lock)."""
    connection = await asyncpg.connect(**connect_args(url, timeout_s))
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    finally:
        await connection.close()


async def _run(url: str, action: str) -> list[str]:
    # aerich keeps its state in Tortoise's global context: run it in a task of its
    # own, so that context is created and dropped there and never leaks to the caller.
    async def run() -> list[str]:
        command = Command(aerich_config(url), app=APP, location=str(MIGRATIONS))
        async with command:
            if action == "upgrade":
                return await command.upgrade(run_in_transaction=True)
            try:
                return await command.heads()
            except OperationalError:  # no aerich table yet: an empty database
                return sorted(path.name for path in (MIGRATIONS / APP).glob("[0-9]*_*.py"))

    return await asyncio.create_task(run())


async def upgrade(url: str) -> list[str]:
    """Apply every migration not yet applied; returns their file names."""
    async with migration_lock(url):
        applied = await _run(url, "upgrade")
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    else:
        log.info("database schema is up to date")
    return applied


async def pending(url: str) -> list[str]:
    """Migrations not yet applied to the database at ``url``."""
    return await _run(url, "heads")


async def make(url: str, name: str) -> str:
    """Write the migration from the last one to the models as they are now; returns
    its file name ("" when the models did not change)."""

    async def run() -> str:
        command = Command(aerich_config(url), app=APP, location=str(MIGRATIONS))
        async with command:
            return await command.migrate(name, no_input=True)

    return await asyncio.create_task(run())
