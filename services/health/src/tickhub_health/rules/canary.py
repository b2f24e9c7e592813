"""The canary and its session: MARKET_CLOSED, or is the canary ticking as it should.

Every source names a canary contract; in its market's session its ticks must keep
coming (silent for ``canary_timeout_s``: UNHEALTHY, for half of that: DEGRADED), and
a process is proven by a tick that came after its start. Outside the session the
source is MARKET_CLOSED. A source whose canary ticks is judged on its lag last
(:mod:`.lag`).
"""

from __future__ import annotations

import datetime as dt

from tickhub_markets import sessions

from ..state import Assessment, seconds
from .grace import StartupGrace
from .lag import LagRule


class CanaryRules(StartupGrace, LagRule):
    def _closed(self, now: dt.datetime, holidays: frozenset[dt.date], extra: str) -> Assessment:
        try:
            opens = sessions.next_open(self.canary, now + self.t.market_offset, holidays)
            when = f"; opens {opens:%a %Y-%m-%d %H:%M} Asia/Shanghai"
        except ValueError:
            when = ""
        return Assessment(
            "ok", "MARKET_CLOSED", "market_closed", f"{self.canary} session closed{when}{extra}"
        )

    def _judge_canary(
        self, canary: str, now: dt.datetime, holidays: frozenset[dt.date]
    ) -> Assessment:
        floor = self.canary_floor
        if self.trading_hours != "always":
            offset = self.t.market_offset
            bounds = sessions.current_session(canary, now + offset, holidays)
            if bounds is not None:
                floor = max(floor, bounds[0] - offset)
        seen = self.canary_seen_at
        since = max(floor, seen) if seen is not None else floor
        silent = seconds(now - since)
        timeout = self.t.canary_timeout_s
        if silent > timeout:
            return Assessment(
                "failure",
                "UNHEALTHY",
                "canary_stale",
                f"canary {canary} silent for {silent:.1f} s in session",
                first_sign=since,
            )
        proof_since = self.proving_since or now
        # A tick from before the process started (or its failure cleared) proves nothing.
        if self.proving and (seen is None or seen <= proof_since):
            return self._unproven(f"waiting for a tick of the canary {canary}", now, "canary_stale")
        if silent > timeout / 2:
            return Assessment(
                "degraded",
                "DEGRADED",
                "canary_stale",
                f"canary {canary} silent for {silent:.1f} s in session",
            )
        lagging = self._judge_lag()
        if lagging is not None:
            return lagging
        return Assessment(
            "ok", "HEALTHY", "ok", f"connected, beating, canary {canary} {silent:.1f} s ago"
        )
