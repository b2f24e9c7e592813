"""Before the api serves: wait for the database, migrate it, add the demo accounts.

``tickhub up`` runs ``python -m tickhub_api prestart`` once before it starts the
services (the full-stack-fastapi-template "prestart" pattern); a container runs it
before ``python -m tickhub_api``. Safe to run concurrently and again: migrations
are serialised by an advisory lock and the demo accounts go only into an empty pool.
"""

from __future__ import annotations

from tickhub_accounts.db import database_url, open_database
from tickhub_accounts.demo import seed_demo
from tickhub_runtime.settings import Settings

from . import migrate


async def prestart(settings: Settings, *, demo: bool = True, wait_s: float = 60.0) -> list[str]:
    """Returns the names of the demo accounts added (none if the pool had accounts)."""
    url = database_url(settings)
    await migrate.wait_for_database(url, timeout_s=wait_s)
    await migrate.upgrade(url)
    if not demo:
        return []
    async with (
        migrate.migration_lock(url),
        open_database(url, application_name="tickhub-prestart") as _,
    ):
        return await seed_demo(settings)
