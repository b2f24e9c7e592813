"""Where the gateway service takes its pool from: the database or TICKHUB_SOURCES,
exactly one; no default pool remains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tickhub_contracts import codec
from tickhub_contracts.messages import SourceConfig
from tickhub_gateway.manager.pool import PoolConfigError, choose_pool
from tickhub_runtime.settings import Settings

URL = "postgresql://tickhub:pw@127.0.0.1:5432/tickhub"
SIM = json.dumps([json.loads(codec.encode(SourceConfig(name="sim-a", gateway_type="sim")))])


def settings(**kw: Any) -> Settings:
    return Settings(_env_file=None, **kw)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TICKHUB_SOURCES", "TICKHUB_SOURCES_FILE", "TICKHUB_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_no_default_sources_remain() -> None:
    assert settings().source_configs == []


def test_neither_is_refused_naming_both() -> None:
    with pytest.raises(PoolConfigError, match=r"TICKHUB_DATABASE_URL.*TICKHUB_SOURCES"):
        choose_pool(settings())


def test_both_is_refused() -> None:
    with pytest.raises(PoolConfigError, match="both"):
        choose_pool(settings(database_url=SecretStr(URL), sources=SIM))


def test_the_database() -> None:
    assert choose_pool(settings(database_url=SecretStr(URL))).database_url == URL


def test_the_static_list() -> None:
    choice = choose_pool(settings(sources=SIM))
    assert choice.database_url is None
    assert [c.name for c in choice.static] == ["sim-a"]


@pytest.mark.parametrize(
    ("sources", "says"),
    [("[{", "TICKHUB_SOURCES"), ('[{"name": "a b", "gateway_type": "sim"}]', "'a b'")],
)
def test_a_bad_static_list_is_refused(sources: str, says: str) -> None:
    with pytest.raises(PoolConfigError, match=says):
        choose_pool(settings(sources=sources))


def test_a_database_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        choose_pool(settings(database_url=SecretStr("mysql://x@h/db")))


def test_a_static_pool_too_big_for_the_environment_comes_from_a_file(tmp_path: Path) -> None:
    pool = tmp_path / "sources.json"
    pool.write_text(SIM)
    assert [c.name for c in choose_pool(settings(sources_file=pool)).static] == ["sim-a"]
    with pytest.raises(PoolConfigError, match="not both"):
        choose_pool(settings(sources_file=pool, sources=SIM))
    with pytest.raises(PoolConfigError, match=r"missing\.json"):
        choose_pool(settings(sources_file=tmp_path / "missing.json"))
