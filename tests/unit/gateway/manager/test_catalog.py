"""The catalog keeper's pure parts: when it refreshes, which trading day it resolves
for."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest

from tickhub_accounts.universe_store import CatalogMeta
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.manager.catalog import CatalogKeeper
from tickhub_runtime.settings import Settings


def keeper(at: dt.datetime, **settings: Any) -> CatalogKeeper:
    return CatalogKeeper(
        Settings(_env_file=None, **settings),
        cast(Any, None),
        cast(Any, None),
        lambda: None,
        clock=lambda: at,
    )


def china(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (china(3, 8, 0), 0.5),  # before the day session's refresh
        (china(3, 9, 0), 11.5),  # then the evening's, before the night session
        (china(3, 21, 0), 11.5),  # then tomorrow morning's
        (china(3, 20, 30), 12.0),  # exactly at one: the next
    ],
)
def test_a_refresh_comes_at_the_next_refresh_time(now: dt.datetime, hours: float) -> None:
    assert keeper(now)._until_next(now) == pytest.approx(hours * 3600)


def test_the_refresh_times_are_a_setting() -> None:
    now = china(3, 9, 0)
    assert keeper(now, catalog_refresh_at=[dt.time(10, 0)])._until_next(now) == 3600


def test_the_trading_day_is_the_clocks_or_the_catalogs_when_it_is_later() -> None:
    evening = china(3, 20, 0)  # from 17:00 the trading day is the next weekday's
    kept = keeper(evening)
    assert kept.trading_day() == dt.date(2026, 12, 4)
    kept.meta = CatalogMeta(
        origin="ctp-a", trading_day=dt.date(2027, 1, 8), refreshed_at=None, instruments=1
    )
    assert kept.trading_day() == dt.date(2027, 1, 8)
    kept.meta = CatalogMeta(
        origin="ctp-a", trading_day=dt.date(2026, 11, 2), refreshed_at=None, instruments=1
    )
    assert kept.trading_day() == dt.date(2026, 12, 4)  # a stale catalog: the clock's day


class _Pool:
    """A manager with ctp-a preferred but still connecting, and ctp-b logged in."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def instrument_sources(self, *, connected: bool) -> list[str]:
        return ["ctp-b"] if connected else ["ctp-a", "ctp-b"]

    async def ask_worker(self, name: str, command: object) -> str | None:
        self.asked.append(name)
        return "not now"  # each refuses: the refresh goes on to the next


async def test_a_refresh_asks_the_logged_in_sources_before_the_preferred_connecting_one() -> None:
    pool = _Pool()
    kept = CatalogKeeper(Settings(_env_file=None), cast(Any, None), cast(Any, pool), lambda: None)
    answer = await kept.refresh("test")
    assert pool.asked == ["ctp-b", "ctp-a"]
    assert not answer.ok and "ctp-b: not now; ctp-a: not now" in (answer.error or "")
