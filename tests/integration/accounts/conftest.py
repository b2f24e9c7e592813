"""The account library against a real PostgreSQL: a migrated schema of the test's
own, with a Tortoise context open on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tickhub_accounts.db import open_database
from tickhub_api import migrate


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await migrate.upgrade(database_url)
    return database_url


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[str]:
    """The schema's URL, with a Tortoise context open on it for the test."""
    async with open_database(migrated_url, application_name="tickhub-test"):
        yield migrated_url
