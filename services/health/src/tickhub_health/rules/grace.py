"""The startup grace: a process not yet proven is STARTING or RECOVERING, for a while.

A new process (or one back from a failure) is not failing while it has not yet shown
everything a healthy one shows; after ``startup_grace_s`` of that it is UNHEALTHY for
whatever is still missing. The other rule families ask this one when what they miss
may still come.
"""

from __future__ import annotations

import datetime as dt

from tickhub_contracts.messages import HealthCause

from ..state import Assessment, SourceState, seconds


class StartupGrace(SourceState):
    def _unproven(self, what: str, now: dt.datetime, cause_if_late: HealthCause) -> Assessment:
        """Not failing, not yet healthy: STARTING/RECOVERING, until the grace ends."""
        since = self.proving_since or now
        waited = seconds(now - since)
        if waited > self.t.startup_grace_s:
            return Assessment(
                "failure",
                "UNHEALTHY",
                cause_if_late,
                f"not healthy {waited:.1f} s after its start: {what}",
                first_sign=since,
                late=True,
            )
        if self.failed:
            return Assessment("unproven", "RECOVERING", "recovering", f"recovering: {what}")
        return Assessment("unproven", "STARTING", "starting", f"starting: {what}")
