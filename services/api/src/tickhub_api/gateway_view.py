"""One account's gateway as ``GET /api/gateways`` shows it: pure logic.

An account joined with the manager's newest status of its source, the health
service's newest verdict on it and the routing table. The account (database) is the
truth for what the account *is* (type, priority, enabled); the status for what its
worker *does*. A status the manager has not repeated for a while says nothing about
now: the gateway service is gone or cut off, and the view says "unknown" rather than
showing a worker as running. A verdict the health service has not repeated for a
while is withheld the same way (``health`` null, ``health_reason`` saying why), and so
are the publisher's counts of the source's ticks it did not send (``drops`` null).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.rules import GatewayTypeName
from tickhub_contracts.messages import (
    ConnectionState,
    GatewayStatus,
    HealthState,
    PublisherStats,
    SourceHealth,
    TickDrops,
)

ViewState = Literal["starting", "running", "stopping", "stopped", "exited", "hung", "unknown"]

NOT_REPORTED = "the gateway manager has not reported this account (is the gateway service up?)"
NOT_JUDGED = "the health service has not judged this source (is the health service up?)"


class DropCounts(BaseModel):
    """One source's ticks the publisher did not send to clients, by reason: totals since
    the publisher started (``TickDrops``; docs/market-data.md states each rule)."""

    duplicate: int = Field(
        description="The same exchange tick as one already sent (another source's copy, a resend)."
    )
    stale: int = Field(
        description="Older than what was sent: an earlier time, or less cumulative volume "
        "within the trading day."
    )
    future: int = Field(
        description="Dated ahead of the publisher's clock by more than TICKHUB_FUTURE_TICK_S."
    )
    out_of_session: int = Field(description="Stamped outside every trading session of the product.")
    replay: int = Field(description="A snapshot replayed at login or subscription.")

    @classmethod
    def of(cls, drops: TickDrops) -> DropCounts:
        return cls(
            duplicate=drops.duplicate,
            stale=drops.stale,
            future=drops.future,
            out_of_session=drops.out_of_session,
            replay=drops.replay,
        )


class GatewayView(BaseModel):
    account_id: int
    name: str = Field(description="The account's name, which is its source name on the bus.")
    gateway_type: GatewayTypeName
    priority: int = Field(description="Lower number = preferred source.")
    is_enabled: bool
    state: ViewState = Field(
        description="The worker process: starting, running, stopping, stopped, exited, hung; "
        "unknown when the gateway manager has not reported it lately."
    )
    reason: str = Field(
        description='Why it is in that state, in words: "disabled", "stopped by operator", '
        '"login_failed: ...", "exit code 1", ... ("" when running and connected).'
    )
    manual_stop: bool = Field(
        description="Stopped by an operator: nothing restarts it until it is started again."
    )
    pid: int | None = Field(description="The worker's process id while it has one.")
    restarts: int = Field(description="Restarts since the gateway service started.")
    connected: bool = Field(description="Running and logged in to its front.")
    connection: ConnectionState | None = Field(
        description="connecting, connected, disconnected or login_failed (null: unknown)."
    )
    last_tick_at: dt.datetime | None = Field(description="Exchange time of its newest live tick.")
    canary: str = Field(description="The canary contract.")
    canary_age_s: float | None = Field(
        description="Seconds since its canary's newest live tick arrived (null: none yet)."
    )
    ticks_per_s: float = Field(description="Ticks per second over the last few seconds.")
    active_symbols: list[str] = Field(
        description="Contracts whose ticks go out from this source now (the routing table)."
    )
    status_at: dt.datetime | None = Field(
        description="When the gateway manager said this (null: it has not reported it)."
    )
    health: HealthState | None = Field(
        description="The health service's verdict: STARTING, HEALTHY, DEGRADED, UNHEALTHY, "
        "RECOVERING, STOPPED or MARKET_CLOSED (null: no recent verdict, see health_reason)."
    )
    health_reason: str = Field(
        description='Why, in words: "heartbeat lost for 2.1 s", "canary rb2605.SHFE silent '
        'for 3.4 s in session", ...; or why there is no verdict.'
    )
    health_since: dt.datetime | None = Field(
        description="When the source entered its health state (null: no recent verdict)."
    )
    needs_operator: bool = Field(
        description="A failure the system will not retry by itself (a rejected login): "
        "a person must act."
    )
    local_front: bool = Field(
        default=False,
        description="A ctp account on tickhub's stand-in CTP library and a local "
        "`tickhub ctp-front` (md_library local): a rehearsal, not a broker's feed.",
    )
    drops: DropCounts | None = Field(
        description="Of this source's ticks, those the publisher did not send to clients, "
        "by reason (totals since the publisher started; all zero when it has dropped none). "
        "Null: no word from the publisher, ever or lately (see drops_at)."
    )
    drops_at: dt.datetime | None = Field(
        description="When the publisher last gave its counts (null: not since the api "
        "started). Set while drops is null: the publisher has been silent since then."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "account_id": 1,
                    "name": "sim-a",
                    "gateway_type": "sim",
                    "priority": 1,
                    "is_enabled": True,
                    "state": "running",
                    "reason": "",
                    "manual_stop": False,
                    "pid": 4451,
                    "restarts": 0,
                    "connected": True,
                    "connection": "connected",
                    "last_tick_at": "2026-11-24T09:12:03.500000+08:00",
                    "canary": "rb2605.SHFE",
                    "canary_age_s": 0.4,
                    "ticks_per_s": 10.0,
                    "active_symbols": ["IF2512.CFFEX", "rb2605.SHFE"],
                    "status_at": "2026-11-24T01:12:03.612345Z",
                    "health": "HEALTHY",
                    "health_reason": "connected, beating, canary fresh",
                    "health_since": "2026-11-24T01:02:09.120000Z",
                    "needs_operator": False,
                    "local_front": False,
                    "drops": {
                        "duplicate": 902113,
                        "stale": 12,
                        "future": 0,
                        "out_of_session": 3,
                        "replay": 40,
                    },
                    "drops_at": "2026-11-24T01:12:02.500000Z",
                }
            ]
        }
    }


@dataclass(frozen=True)
class AccountFacts:
    """What the view needs of an account row."""

    account_id: int
    name: str
    gateway_type: GatewayTypeName
    priority: int
    is_enabled: bool
    canary: str
    local_front: bool = False


def facts_of(account: MarketDataAccount) -> AccountFacts:
    settings = account.settings if isinstance(account.settings, dict) else {}
    return AccountFacts(
        account_id=account.id,
        name=account.name,
        gateway_type=account.gateway_type,  # type: ignore[arg-type]  # checked on write
        priority=account.priority,
        is_enabled=account.is_enabled,
        canary=account.canary,
        local_front=account.gateway_type == "ctp" and settings.get("md_library") == "local",
    )


def stale_after_s(status_interval_s: float) -> float:
    """How old a status may get: the manager repeats it every ``status_interval_s``;
    three missed rounds (and some slack for a loaded machine) mean it is gone."""
    return 3 * status_interval_s + 2.0


health_stale_after_s = stale_after_s
"""How old a verdict may get, from ``health_publish_s``: the same rule as statuses."""


def health_fields(
    verdict: SourceHealth | None, now: dt.datetime, stale_s: float
) -> dict[str, object]:
    """The view's health columns from the newest verdict on the source."""
    if verdict is None:
        return {
            "health": None,
            "health_reason": NOT_JUDGED,
            "health_since": None,
            "needs_operator": False,
        }
    age = (now - verdict.at).total_seconds()
    if age > stale_s:
        return {
            "health": None,
            "health_reason": f"no verdict from the health service for {age:.0f} s "
            f"(last: {verdict.state})",
            "health_since": None,
            # A rejected login stays a person's job whether or not the service is up.
            "needs_operator": verdict.needs_operator,
        }
    return {
        "health": verdict.state,
        "health_reason": verdict.reason,
        "health_since": verdict.since,
        "needs_operator": verdict.needs_operator,
    }


publisher_stale_after_s = stale_after_s
"""How old the publisher's counts may get, from ``publisher_stats_s``: the same rule."""


def drops_fields(
    stats: PublisherStats | None, source: str, now: dt.datetime, stale_s: float
) -> dict[str, object]:
    """The view's drop columns from the publisher's newest counts. A source the
    publisher does not name has had nothing dropped (it lists the sources it has
    seen ticks from)."""
    if stats is None:
        return {"drops": None, "drops_at": None}
    if (now - stats.at).total_seconds() > stale_s:
        return {"drops": None, "drops_at": stats.at}
    drops = stats.sources.get(source, TickDrops())
    return {"drops": DropCounts.of(drops), "drops_at": stats.at}


def gateway_view(
    account: AccountFacts,
    status: GatewayStatus | None,
    active_sources: Mapping[str, str],
    now: dt.datetime,
    stale_s: float,
    *,
    health: SourceHealth | None = None,
    health_stale_s: float = health_stale_after_s(2.0),
    publisher: PublisherStats | None = None,
    publisher_stale_s: float = publisher_stale_after_s(2.0),
) -> GatewayView:
    active = sorted(vt for vt, source in active_sources.items() if source == account.name)
    base = {
        "account_id": account.account_id,
        "name": account.name,
        "gateway_type": account.gateway_type,
        "priority": account.priority,
        "is_enabled": account.is_enabled,
        "canary": account.canary,
        "local_front": account.local_front,
        "active_symbols": active,
        **health_fields(health, now, health_stale_s),
        **drops_fields(publisher, account.name, now, publisher_stale_s),
    }
    if status is None:
        return GatewayView(
            **base,
            state="stopped" if not account.is_enabled else "unknown",
            reason="disabled" if not account.is_enabled else NOT_REPORTED,
            manual_stop=False,
            pid=None,
            restarts=0,
            connected=False,
            connection=None,
            last_tick_at=None,
            canary_age_s=None,
            ticks_per_s=0.0,
            status_at=None,
        )
    canary_age_s = None
    if status.canary_received_at is not None:
        canary_age_s = round(max(0.0, (now - status.canary_received_at).total_seconds()), 3)
    age = (now - status.at).total_seconds()
    common = {
        **base,
        "manual_stop": status.manual_stop,
        "restarts": status.restarts,
        "last_tick_at": status.last_tick_at,
        "canary_age_s": canary_age_s,
        "status_at": status.at,
    }
    if age > stale_s:
        return GatewayView(
            **common,
            state="unknown",
            reason=f"no word from the gateway manager for {age:.0f} s (last: {status.state})",
            pid=None,
            connected=False,
            connection=None,
            ticks_per_s=0.0,
        )
    reason = status.reason
    if not reason and not account.is_enabled and status.state in ("stopped", "exited"):
        reason = "disabled"
    return GatewayView(
        **common,
        state=status.state,
        reason=reason,
        pid=status.pid,
        connected=status.connected,
        connection=status.connection,
        ticks_per_s=status.ticks_per_s,
    )
