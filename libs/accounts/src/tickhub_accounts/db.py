"""Connecting to the account database (PostgreSQL only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import ConfigurationError

from tickhub_runtime.settings import Settings

MODELS_MODULE = "tickhub_accounts.models"
APP = "models"
"""The Tortoise app label (aerich keeps the migrations under ``<location>/models``)."""

SCHEMES = ("postgresql", "postgres")


class DatabaseUrlError(ValueError):
    """TICKHUB_DATABASE_URL is missing or does not name a PostgreSQL database."""


def database_url(settings: Settings) -> str:
    if settings.database_url is None:
        raise DatabaseUrlError(
            "TICKHUB_DATABASE_URL is not set (tickhub up starts an embedded PostgreSQL and sets it)"
        )
    return settings.database_url.get_secret_value()


def redact(url: str) -> str:
    """The URL with its password replaced, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def tortoise_config(
    url: str,
    *,
    timeout_s: float = 5.0,
    application_name: str = "tickhub",
    extra_models: tuple[str, ...] = (),
    min_connections: int = 1,
) -> dict[str, Any]:
    """Tortoise's config for ``url``: postgresql://user:password@host:port/db[?schema=...].

    ``?schema=`` sets the search path: the tests give each test its own schema.
    ``min_connections`` is the pool's floor; 0 for a client that reads now and then
    (asyncpg re-opens the floor in the background, logging a traceback a second
    while the database is down).
    """
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise DatabaseUrlError(
            f"the database URL must start with postgresql:// (PostgreSQL only), not {scheme!r}"
        )
    try:
        connection = expand_db_url(url)
    except (ConfigurationError, ValueError) as error:
        raise DatabaseUrlError(f"the database URL {redact(url)} is malformed: {error}") from None
    credentials = connection["credentials"]
    credentials.setdefault("application_name", application_name)
    # asyncpg waits 60 s for a connection by default; a health check must answer sooner.
    credentials["timeout"] = timeout_s
    credentials["command_timeout"] = timeout_s
    credentials.setdefault("minsize", min_connections)
    credentials.setdefault("maxsize", 5)
    return {
        "connections": {"default": connection},
        "apps": {APP: {"models": [MODELS_MODULE, *extra_models], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


@asynccontextmanager
async def open_database(
    url: str,
    *,
    timeout_s: float = 5.0,
    application_name: str = "tickhub",
    min_connections: int = 1,
) -> AsyncIterator[TortoiseContext]:
    """An isolated Tortoise context on ``url``, active inside the block, closed after.

    Connections open lazily, on the first query: entering the block does not wait for
    the database.
    """
    config = tortoise_config(
        url, timeout_s=timeout_s, application_name=application_name, min_connections=min_connections
    )
    async with TortoiseContext() as context:
        await context.init(config=config)
        yield context


async def ping(context: TortoiseContext) -> None:
    """Raises unless the database answers and holds the ``accounts`` table."""
    await context.db().execute_query("SELECT 1 FROM accounts LIMIT 1")
