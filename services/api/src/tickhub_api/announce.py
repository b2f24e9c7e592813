"""Telling the hub that an account changed (``tickhub.accounts.changed``), or the
universe's entries did (``tickhub.universe.changed``).

Identifiers and field names only: the gateway reads the account from the database
itself. Sent after the transaction committed, so a listener that reacts at once
reads the new row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import Request

from tickhub_accounts.models import MarketDataAccount
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import AccountAction, AccountChanged, UniverseChanged
from tickhub_runtime.logs import get_logger

from .state import nats_of

UniverseAction = Literal["created", "deleted", "updated"]


async def announce(
    request: Request,
    account: MarketDataAccount,
    action: AccountAction,
    *,
    fields: list[str] | None = None,
    previous_name: str | None = None,
) -> None:
    log = get_logger(__name__, source=account.name)
    message = AccountChanged(
        account_id=account.id,
        name=account.name,
        action=action,
        at=datetime.now(UTC),
        fields=fields or [],
        previous_name=previous_name,
    )
    log.info(
        "account %d %s%s",
        account.id,
        action,
        f" ({', '.join(message.fields)})" if message.fields else "",
    )
    link = nats_of(request)
    if link.nc is None or link.nc.is_closed:
        # The gateway also re-reads the pool periodically: it catches up without this.
        log.warning("NATS not connected: account %d %s not announced", account.id, action)
        return
    # While reconnecting, nats-py buffers the message and sends it on reconnect.
    await link.nc.publish(subjects.ACCOUNTS_CHANGED, codec.encode(message))


async def announce_universe(request: Request, action: UniverseAction, entry: str) -> None:
    """Tell the gateway manager (and every /ws client) that the universe's entries
    changed (``tickhub.universe.changed``); it reads them again from the database."""
    log = get_logger(__name__)
    log.info("universe entry %s %s", entry, action)
    link = nats_of(request)
    if link.nc is None or link.nc.is_closed:
        # The gateway re-reads the universe with the pool, periodically: it catches up.
        log.warning("NATS not connected: universe entry %s %s not announced", entry, action)
        return
    message = UniverseChanged(at=datetime.now(UTC), action=action, entry=entry)
    await link.nc.publish(subjects.UNIVERSE_CHANGED, codec.encode(message))
