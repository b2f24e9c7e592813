"""Before the api serves: wait for the database, migrate it, add the demo accounts.

``tickhub up`` runs ``python -m tickhub_api prestart`` once before it starts the
services (the full-stack-fastapi-template "prestart" pattern); a container runs it
before ``python -m tickhub_api``. Safe to run concurrently and again: migrations
are serialised by an advisory lock and the demo accounts go only into a new database.
"""

from __future__ import annotations

from typing import Literal

from tickhub_accounts.crypto import load_secret_box
from tickhub_accounts.db import database_url, open_database
from tickhub_accounts.demo import seed_ctp_demo, seed_demo
from tickhub_accounts.secretfiles import ctp_front_password
from tickhub_runtime.settings import Settings

from . import migrate

DemoPool = Literal["sim", "ctp", "none"]


async def prestart(
    settings: Settings, *, demo: DemoPool = "sim", wait_s: float = 60.0
) -> list[str]:
    """Returns the names of the demo accounts added.

    The sim pair goes into a new database only (this run applied its first migration):
    a pool an operator emptied stays empty, and sims never appear in a running hub's
    pool. The ctp pair (``--demo ctp``) is asked for by name, so it is added wherever
    it is missing.
    """
    url = database_url(settings)
    await migrate.wait_for_database(url, timeout_s=wait_s)
    applied = await migrate.upgrade(url)
    new_database = any(name.startswith("0_") for name in applied)
    if demo == "none" or (demo == "sim" and not new_database):
        return []
    async with (
        migrate.migration_lock(url),
        open_database(url, application_name="tickhub-prestart") as _,
    ):
        if demo == "ctp":
            box = load_secret_box(settings)
            return await seed_ctp_demo(settings, ctp_front_password(settings), box)
        return await seed_demo(settings)
