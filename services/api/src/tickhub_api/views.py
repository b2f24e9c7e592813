"""The gateway views as the routes and the /ws snapshot serve them: the accounts
(database) joined with what the board holds now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tickhub_accounts.models import MarketDataAccount
from tickhub_runtime.settings import Settings

from . import store
from .gateway_view import (
    GatewayView,
    facts_of,
    gateway_view,
    health_stale_after_s,
    stale_after_s,
)
from .live import LiveBoard


def view_of(
    account: MarketDataAccount,
    board: LiveBoard,
    settings: Settings,
    now: datetime | None = None,
    routes: Mapping[str, str] | None = None,
) -> GatewayView:
    """One account's view; ``routes`` is ``board.routes`` read once by a caller that
    builds many views (the table is a copy of every contract's route)."""
    return gateway_view(
        facts_of(account),
        board.status(account.name),
        board.routes if routes is None else routes,
        now or datetime.now(UTC),
        stale_after_s(settings.status_interval_s),
        health=board.health(account.name),
        health_stale_s=health_stale_after_s(settings.health_publish_s),
    )


async def all_views(board: LiveBoard, settings: Settings) -> list[GatewayView]:
    """Every account, preferred first (the database's order)."""
    now = datetime.now(UTC)
    routes = board.routes
    return [
        view_of(account, board, settings, now, routes) for account in await store.list_accounts()
    ]
