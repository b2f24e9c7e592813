"""The lag rule: DEGRADED while the ticks arrive behind a peer's copies.

The lag itself (the rolling median over the copies every source sends) is measured
by :class:`tickhub_health.lag.PeerLag`; this rule compares it with
``lag_degraded_ms``, with some hysteresis so that a lag near the threshold does not
flap the routing.
"""

from __future__ import annotations

from ..state import Assessment, SourceState

LAG_RECOVERY = 0.8
"""A lagging source is DEGRADED above the threshold and HEALTHY again only below
this fraction of it, so a lag near the threshold does not flap the routing."""


class LagRule(SourceState):
    def _judge_lag(self) -> Assessment | None:
        lag = self.lag_ms
        if lag is not None:
            lagging = self.verdict.state == "DEGRADED" and self.verdict.cause == "lagging"
            limit = self.t.lag_degraded_ms * (LAG_RECOVERY if lagging else 1.0)
            if lag > limit:
                return Assessment(
                    "degraded",
                    "DEGRADED",
                    "lagging",
                    f"ticks arrive {lag:.0f} ms behind a peer's copies "
                    f"(median; limit {self.t.lag_degraded_ms:.0f} ms)",
                )
        return None
