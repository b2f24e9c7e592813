"""`tickhub universe|instruments|catalog` as processes against a real api (uvicorn,
PostgreSQL, NATS): what they print, and each failure as one line with exit 1."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tests.integration.api.conftest import (  # noqa: F401 - fixtures
    TOKEN,
    ApiProcess,
    api_process,
    api_settings,
    migrated_url,
)
from tests.integration.cli.running import hub_env, tickhub
from tickhub_accounts.db import open_database
from tickhub_accounts.universe_store import replace_catalog
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import CatalogRefreshed, Instrument
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def env(api_process: ApiProcess, tmp_path: Path) -> dict[str, str]:  # noqa: F811
    return hub_env(tmp_path / "cli", TICKHUB_API_URL=api_process.url, TICKHUB_API_TOKEN=TOKEN)


def _one_line(text: str) -> bool:
    return text.count("\n") == 1 and "Traceback" not in text


def test_entries_are_added_listed_resolved_and_removed(env: dict[str, str]) -> None:
    added = tickhub("universe", "add", "rb.SHFE", "--note", "steel", env=env)
    assert (added.returncode, added.stdout) == (0, "added rb.SHFE (product)\n"), added.stderr
    added = tickhub("universe", "add", "au.SHFE", "--options", env=env)
    assert added.stdout == "added au.SHFE (product, with options)\n", added.stderr

    listed = tickhub("universe", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "ENTRY    KIND     OPTIONS  NOTE",
        "au.SHFE  product  yes      -",
        "rb.SHFE  product  -        steel",
    ]

    # No catalog yet: product entries name nothing listed.
    resolved = tickhub("universe", "resolved", env=env)
    assert resolved.returncode == 0, resolved.stderr
    assert "0 contracts, 0 uncovered" in resolved.stdout
    assert "catalog: none stored yet" in resolved.stdout
    assert "matching nothing listed: au.SHFE, rb.SHFE" in resolved.stdout

    removed = tickhub("universe", "remove", "rb.shfe", env=env)
    assert (removed.returncode, removed.stdout) == (0, "removed rb.SHFE\n"), removed.stderr
    listed = tickhub("universe", "list", env=env)
    assert "rb.SHFE" not in listed.stdout


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["universe", "add", "rb.LME"], "tickhub: text: Value error, universe entry 'rb.LME': "),
        (["universe", "remove", "zz.SHFE"], "tickhub: the universe has no entry 'zz.SHFE'"),
    ],
)
def test_a_refusal_is_one_line_and_exit_1(env: dict[str, str], argv: list[str], says: str) -> None:
    result = tickhub(*argv, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(says), result.stderr
    assert _one_line(result.stderr)


def test_a_duplicate_is_a_409_line(env: dict[str, str]) -> None:
    assert tickhub("universe", "add", "SHFE", env=env).returncode == 0
    result = tickhub("universe", "add", "SHFE", env=env)
    assert (result.returncode, result.stderr) == (
        1,
        "tickhub: the universe has the entry 'SHFE' already\n",
    )


def test_a_wrong_token_is_one_line(env: dict[str, str]) -> None:
    result = tickhub("universe", "list", env={**env, "TICKHUB_API_TOKEN": "x" * 20})
    assert result.returncode == 1
    assert "refused the token (401)" in result.stderr and _one_line(result.stderr)


def test_the_catalog_is_searched_and_refreshed(
    env: dict[str, str],
    api_settings: Settings,  # noqa: F811
) -> None:
    async def store() -> None:
        assert api_settings.database_url is not None
        async with open_database(api_settings.database_url.get_secret_value()):
            await replace_catalog(
                [
                    Instrument(
                        vt_symbol="rb2605.SHFE",
                        symbol="rb2605",
                        exchange="SHFE",
                        product="rb",
                        name="螺纹钢2605",
                        expiry=date(2026, 5, 15),
                    ),
                    Instrument(vt_symbol="m2605.DCE", symbol="m2605", exchange="DCE", product="m"),
                ],
                origin="file",
                trading_day=date(2025, 12, 2),
                at=datetime(2025, 12, 1, 12, 30, tzinfo=UTC),
            )

    asyncio.run(store())
    found = tickhub("instruments", "rb", "--exchange", "SHFE", env=env)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[:2] == [
        "INSTRUMENT   KIND    NAME        EXPIRY",
        "rb2605.SHFE  future  螺纹钢2605  2026-05-15",
    ]
    assert "1 instruments; catalog: 2 instruments from file" in found.stdout

    refused = tickhub("catalog", "refresh", env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("tickhub: no gateway manager is listening on NATS")

    with FakeManager(api_settings):
        refreshed = tickhub("catalog", "refresh", env=env)
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stdout.splitlines() == [
        "catalog refreshed from ctp-main: 3 instruments, trading day 2025-12-02; 1 listed, "
        "0 expired",
        "listed: rb2610.SHFE",
    ]


class FakeManager:
    """A stand-in gateway manager answering catalog refreshes, on its own thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        nc: Client = await bus.connect(self.settings, "fake-manager")

        async def answer(msg: Msg) -> None:
            refreshed = CatalogRefreshed(
                ok=True,
                origin="ctp-main",
                trading_day=date(2025, 12, 2),
                instruments=3,
                listed=["rb2610.SHFE"],
            )
            await msg.respond(codec.encode(refreshed))

        await nc.subscribe(subjects.CATALOG_REFRESH, cb=answer)
        await nc.flush()
        self.ready.set()
        await self.stop.wait()
        await nc.drain()

    def __enter__(self) -> FakeManager:
        self.thread.start()
        assert self.ready.wait(20)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None and self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(20)
