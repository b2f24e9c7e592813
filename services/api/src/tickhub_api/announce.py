"""Telling the hub that an account changed (``tickhub.accounts.changed``).

Identifiers and field names only: the gateway reads the account from the database
itself. Sent after the transaction committed, so a listener that reacts at once
reads the new row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from tickhub_accounts.models import MarketDataAccount
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import AccountAction, AccountChanged
from tickhub_runtime.logs import get_logger

from .state import nats_of


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
