"""Before the api serves: wait for the database, migrate it, add the demo accounts.

``tickhub up`` runs ``python -m tickhub_api prestart`` once before it starts the
services (the full-stack-fastapi-template "prestart" pattern); a container runs it
before ``python -m tickhub_api``. Safe to run concurrently and again: migrations
are serialised by an advisory lock and the demo accounts go only into a new database.
"""

from __future__ import annotations

from tickhub_accounts.db import database_url, open_database
from tickhub_accounts.demo import seed_demo
from tickhub_runtime.settings import Settings

from . import migrate


async def prestart(settings: Settings, *, demo: bool = True, wait_s: float = 60.0) -> list[str]:
    """Returns the names of the demo accounts added.

    They go into a new database only (this run applied its first migration): a pool
    an operator emptied stays empty, and sims never appear in a running hub's pool.
    """
    url = database_url(settings)
    await migrate.wait_for_database(url, timeout_s=wait_s)
    applied = await migrate.upgrade(url)
    new_database = any(name.startswith("0_") for name in applied)
    if not (demo and new_database):
        return []
    async with (
        migrate.migration_lock(url),
        open_database(url, application_name="tickhub-prestart") as _,
    ):
        return await seed_demo(settings)
