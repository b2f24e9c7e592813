"""The health verdict on one source, folded from what the bus says: pure logic.

:class:`SourceMachine` takes the GatewayManager's statuses, the worker's heartbeats
and connection messages, the canary's ticks and the source's peer lag, each with the
time it arrived, and on :meth:`SourceMachine.evaluate` judges the source. It does no
I/O and reads no clock: ``now`` is passed in, so every rule is unit-testable.

The judgement, first rule that applies:

1. STOPPED: removed from the pool, stopped by an operator or disabled (status
   ``stopped``/``stopping``). A hard restart of a failed source is not a stop: it
   stays UNHEALTHY until its new process shows up.
2. UNHEALTHY: the process exited; no heartbeat for ``heartbeat_timeout_s``; the
   manager says hung; the login was rejected (``needs_operator``: never retried) or
   the connection is lost; the canary silent for ``canary_timeout_s`` in session.
3. Not yet proven (a new process, or one coming back from a failure): STARTING, or
   RECOVERING after a failure, until it is connected, beating and its canary has
   ticked since (or its market is closed); after ``startup_grace_s`` of that it is
   UNHEALTHY for whatever is still missing.
4. MARKET_CLOSED: beating, and the canary's session is closed (a CTP front that
   drops the connection between sessions included: that is normal).
5. DEGRADED: the canary silent for half its timeout, or the ticks lag a peer's
   copies by more than ``lag_degraded_ms`` (rolling median).
6. HEALTHY.

The manager republishes every status every ``status_interval_s``; a status older
than three of those means the manager is silent (not that the source is gone), and
the source is judged by its heartbeats alone. That a source left the pool is
decided by the caller (which asks the manager) and told with :meth:`removed`.

The machine is one class made of mixins over :class:`~.state.SourceState` (the
evidence and the lifecycle, fresh or carried on from the bucket), one module each:
:mod:`.intake` (the ``on_*`` inputs) and the rule families in :mod:`.rules`.
This module holds the order of the rules (:meth:`SourceMachine.evaluate`), the
lifecycle and verdict they lead to, and the report that is published.
"""

from __future__ import annotations

import datetime as dt

from tickhub_contracts.messages import HealthState, SourceHealth
from tickhub_markets import sessions

from .intake import Intake
from .rules.connection import ConnectionRules
from .rules.process import ProcessRules
from .state import Assessment, Verdict, seconds

_HELD: frozenset[HealthState] = frozenset({"UNHEALTHY", "STOPPED"})


class SourceMachine(Intake, ProcessRules, ConnectionRules):
    """Judges one source. Feed it with the ``on_*`` methods, then :meth:`evaluate`."""

    # --- judging -----------------------------------------------------------------------

    def evaluate(
        self, now: dt.datetime, holidays: frozenset[dt.date] = frozenset()
    ) -> Verdict | None:
        """Judge the source now; the new verdict when its state or cause changed."""
        found = self._assess(now, holidays)
        return self._apply(found, now)

    def _assess(self, now: dt.datetime, holidays: frozenset[dt.date]) -> Assessment:
        canary = self.canary
        market_now = now + self.t.market_offset
        self.in_session = (
            self.trading_hours == "always"
            or not canary
            or sessions.is_open(canary, market_now, holidays)
        )
        if self.removed_at is not None:
            return Assessment("stopped", "STOPPED", "stopped", "removed from the pool")
        status = self.status
        fresh = self.status_fresh(now)
        beat_fresh = self.heard_at is not None and (
            seconds(now - self.heard_at) <= self.t.heartbeat_timeout_s
        )
        if status is not None and (fresh or not beat_fresh):
            # A silent manager's last word stands while no heartbeat contradicts it.
            silent = "" if fresh else " (the manager has been silent since)"
            found = self._judge_process(status, silent, now)
            if found is not None:
                return found
        lost = self._heartbeat_lost(now)
        if lost is not None:
            return lost
        if status is not None and fresh and status.state == "hung":
            return Assessment(
                "failure",
                "UNHEALTHY",
                "process_hung",
                f"the manager says hung: {status.reason}",
                first_sign=self.heard_at or status.at,
            )
        if self.heard_at is None:
            # A verdict from the bucket stands until evidence arrives: a proven one
            # until its first heartbeat is overdue (above), a failed or stopped one
            # until the manager says what its process does.
            state = self.verdict.state
            if self.restored and (not self.proving or (status is None and state in _HELD)):
                return Assessment("keep", state, self.verdict.cause, "")
            return self._unproven("waiting for the worker's first heartbeat", now, "heartbeat_lost")
        return self._judge_feed(now, holidays)

    def _apply(self, found: Assessment, now: dt.datetime) -> Verdict | None:
        """Move the lifecycle on and make the verdict; a new one on a change."""
        if found.kind == "keep":
            return None
        if found.kind == "failure":
            self.failed = True
            self.proving = True
            if not found.late:
                self.proving_since = None  # proven again from when the failure clears
        elif found.kind == "stopped":
            if found.manual:
                self.failed = False
        else:
            if found.kind == "unproven" and not self.proving:
                self.proving = True
            if self.proving and self.proving_since is None:
                self.proving_since = now  # the failure cleared: prove it from here
            if found.kind in ("ok", "degraded"):
                self.proving, self.proving_since = False, None
                self.failed = False
                self.restored = False
        current = self.verdict
        if found.state == current.state and found.cause == current.cause:
            if found.reason and found.reason != current.reason:
                self.verdict = Verdict(
                    state=current.state,
                    cause=current.cause,
                    reason=found.reason,
                    since=current.since,
                    at=now,
                    previous=current.previous,
                    needs_operator=current.needs_operator,
                    detected_ms=current.detected_ms,
                )
            return None
        self.restored = False  # what the bucket said is superseded
        same_state = found.state == current.state
        detected: float | None = None
        if found.state == "UNHEALTHY":
            if same_state:
                detected = current.detected_ms
            elif found.first_sign is not None:
                detected = max(0.0, seconds(now - found.first_sign) * 1000.0)
        self.verdict = Verdict(
            state=found.state,
            cause=found.cause,
            reason=found.reason,
            since=current.since if same_state else now,
            at=now,
            previous=current.previous if same_state else current.state,
            needs_operator=found.needs_operator,
            detected_ms=detected,
        )
        return self.verdict

    # --- the published verdict -----------------------------------------------------------

    def report(self, now: dt.datetime) -> SourceHealth:
        verdict = self.verdict
        latency: float | None = None
        if self.canary_seen_at is not None and self.canary_tick_at is not None:
            latency = seconds(self.canary_seen_at - self.canary_tick_at) * 1000.0
        return SourceHealth(
            source=self.source,
            state=verdict.state,
            cause=verdict.cause,
            reason=verdict.reason,
            at=now,
            since=verdict.since,
            previous=verdict.previous,
            gateway_type=self.gateway_type,
            priority=self.priority,
            contracts=list(self.contracts),
            pid=self.pid if verdict.state != "STOPPED" else None,
            restarts=self.restarts,
            connected=self.conn == "connected",
            heartbeat_age_s=None if self.heard_at is None else seconds(now - self.heard_at),
            canary=self.canary,
            canary_age_s=(
                None if self.canary_seen_at is None else seconds(now - self.canary_seen_at)
            ),
            canary_latency_ms=latency,
            lag_ms=self.lag_ms,
            in_session=self.in_session,
            needs_operator=verdict.needs_operator,
            detected_ms=verdict.detected_ms,
        )
