"""SourceHealth verdicts for the failover tests, on a fixed clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tickhub_contracts.messages import HealthCause, HealthState, SourceHealth

T0 = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
RB, M, SR = "rb2605.SHFE", "m2605.DCE", "SR605.CZCE"
ALL = [RB, M, SR]

CAUSES: dict[str, HealthCause] = {
    "HEALTHY": "ok",
    "STARTING": "starting",
    "RECOVERING": "recovering",
    "DEGRADED": "lagging",
    "UNHEALTHY": "heartbeat_lost",
    "STOPPED": "stopped",
    "MARKET_CLOSED": "market_closed",
}


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def verdict(
    source: str,
    state: HealthState = "HEALTHY",
    *,
    priority: int = 1,
    contracts: list[str] | None = None,
    since: float = -3600.0,
    now: float | None = None,
    cause: HealthCause | None = None,
    **kw: Any,
) -> SourceHealth:
    """``source`` in ``state`` since T0+``since`` s, judged at T0+``now`` s."""
    return SourceHealth(
        source=source,
        state=state,
        cause=cause or CAUSES[state],
        reason=kw.pop("reason", f"{state.lower()} for the test"),
        at=at(since if now is None else now),
        since=at(since),
        priority=priority,
        contracts=list(ALL if contracts is None else contracts),
        **kw,
    )


def by_source(*verdicts: SourceHealth) -> dict[str, SourceHealth]:
    return {v.source: v for v in verdicts}
