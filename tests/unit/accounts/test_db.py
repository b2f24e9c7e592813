"""Database URLs: PostgreSQL only, passwords never shown, per-test schemas honoured."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tickhub_accounts.db import DatabaseUrlError, database_url, redact, tortoise_config
from tickhub_runtime.settings import Settings


def test_redact_hides_the_password_only() -> None:
    shown = redact("postgresql://u:p%40ss@h:5432/db?schema=s")
    assert shown == "postgresql://u:***@h:5432/db?schema=s"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_config_for_postgresql_with_schema_and_timeouts() -> None:
    config = tortoise_config("postgresql://u:pw@db.local:6543/hub?schema=t_1", timeout_s=2.5)
    credentials = config["connections"]["default"]["credentials"]
    assert config["connections"]["default"]["engine"] == "tortoise.backends.asyncpg"
    assert credentials["host"] == "db.local" and credentials["port"] == 6543
    assert credentials["user"] == "u" and credentials["password"] == "pw"
    assert credentials["database"] == "hub" and credentials["schema"] == "t_1"
    assert credentials["timeout"] == 2.5 and credentials["command_timeout"] == 2.5
    assert config["apps"]["models"]["models"] == ["tickhub_accounts.models"]


@pytest.mark.parametrize("url", ["sqlite://:memory:", "mysql://u@h/db", "h:5432/db", ""])
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(DatabaseUrlError, match="PostgreSQL only"):
        tortoise_config(url)


def test_the_url_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKHUB_DATABASE_URL", raising=False)
    with pytest.raises(DatabaseUrlError, match="TICKHUB_DATABASE_URL is not set"):
        database_url(Settings(_env_file=None))
    url = "postgresql://u@h/db"
    assert database_url(Settings(database_url=SecretStr(url), _env_file=None)) == url
