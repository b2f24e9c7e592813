"""The gateway views as the endpoints and the /ws snapshot serve them: the accounts
(database) joined with what the board holds now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tickhub_accounts.models import MarketDataAccount
from tickhub_runtime.settings import Settings

from . import account_store
from .gateway_view import (
    GatewayView,
    facts_of,
    gateway_view,
    health_stale_after_s,
    publisher_stale_after_s,
    stale_after_s,
)
from .live import LiveBoard


def view_of(
    account: MarketDataAccount,
    board: LiveBoard,
    settings: Settings,
    now: datetime | None = None,
    active_sources: Mapping[str, str] | None = None,
) -> GatewayView:
    """One account's view; ``active_sources`` is ``board.active_sources`` read once by a caller that
    builds many views (the table is a copy of every contract's route)."""
    return gateway_view(
        facts_of(account),
        board.status(account.name),
        board.active_sources if active_sources is None else active_sources,
        now or datetime.now(UTC),
        stale_after_s(settings.status_interval_s),
        health=board.health(account.name),
        health_stale_s=health_stale_after_s(settings.health_publish_s),
        publisher=board.publisher,
        publisher_stale_s=publisher_stale_after_s(settings.publisher_stats_s),
    )


async def all_views(board: LiveBoard, settings: Settings) -> list[GatewayView]:
    """Every account, preferred first (the database's order)."""
    now = datetime.now(UTC)
    active_sources = board.active_sources
    return [
        view_of(account, board, settings, now, active_sources)
        for account in await account_store.list_accounts()
    ]
