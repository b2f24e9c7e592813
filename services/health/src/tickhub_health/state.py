"""What the health machine knows of one source, and the words of its judgement: pure.

:class:`SourceState` holds the evidence (the manager's status, the current process,
its connection, the canary, the lag) and the lifecycle (proving, failed) that the
mixins of :class:`~tickhub_health.machine.SourceMachine` read and write: the intake
(:mod:`.intake`) and the rule families (:mod:`.rules`). It starts fresh, or carries
on from the verdict a previous run left in the bucket, so that a restarted health
service does not look like a failure of the pool. :class:`Thresholds` are its
settings; a rule answers with an :class:`Assessment`, and the machine turns that
into a :class:`Verdict`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from tickhub_contracts.messages import (
    ConnectionState,
    GatewayStatus,
    GatewayType,
    HealthCause,
    HealthState,
    SourceHealth,
    TradingHours,
)

STATUS_SILENCE_FACTOR = 3
"""A status older than this many status intervals means the manager is silent."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    heartbeat_interval_s: float = 1.0
    heartbeat_timeout_s: float = 1.5
    canary_timeout_s: float = 3.0
    lag_degraded_ms: float = 500.0
    startup_grace_s: float = 20.0
    status_interval_s: float = 2.0
    market_offset_s: float = 0.0
    """``TICKHUB_MARKET_CLOCK_OFFSET_S``, rehearsal and tests only: sessions and
    holidays are judged this many seconds later than ``now`` (0 in production)."""

    @property
    def market_offset(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.market_offset_s)

    @property
    def status_silence_s(self) -> float:
        return STATUS_SILENCE_FACTOR * self.status_interval_s

    @property
    def first_beat_grace_s(self) -> float:
        """How long a restarted health service waits for a running worker's first
        heartbeat before calling it lost (its subscription needs a moment)."""
        return self.heartbeat_timeout_s + self.heartbeat_interval_s


Kind = Literal["stopped", "failure", "unproven", "degraded", "ok", "keep"]


@dataclass(frozen=True, slots=True)
class Assessment:
    kind: Kind
    state: HealthState
    cause: HealthCause
    reason: str
    first_sign: dt.datetime | None = None
    needs_operator: bool = False
    manual: bool = False
    late: bool = False
    """A failure for not becoming healthy in time (the proving clock runs on)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The machine's current judgement; a new one is made only when state or cause
    changes (``reason`` alone is refreshed in place)."""

    state: HealthState
    cause: HealthCause
    reason: str
    since: dt.datetime
    at: dt.datetime
    previous: HealthState | None = None
    needs_operator: bool = False
    detected_ms: float | None = None


def seconds(delta: dt.timedelta) -> float:
    return delta.total_seconds()


class SourceState:
    """The evidence on one source and where its lifecycle stands."""

    def __init__(
        self,
        source: str,
        thresholds: Thresholds,
        now: dt.datetime,
        restored: SourceHealth | None = None,
    ) -> None:
        self.source = source
        self.t = thresholds
        self.status: GatewayStatus | None = None
        self.status_heard_at: dt.datetime | None = None
        self.removed_at: dt.datetime | None = None
        # --- the current process (a new pid starts these over) ---
        self.pid: int | None = None
        self.pid_started_at: dt.datetime | None = None
        self.restarts = 0
        self.heard_at: dt.datetime | None = None
        self.first_beat_due: dt.datetime = now + dt.timedelta(seconds=self.t.startup_grace_s)
        """After this, no heartbeat yet counts as a lost one."""
        self.conn: ConnectionState | None = None
        """The worker's connection; None until the current process said anything."""
        self.conn_code: int | None = None
        self.conn_message = ""
        self.conn_at: dt.datetime | None = None
        self.conn_direct = False
        """Whether ``conn`` came from the worker itself (then a status cannot override it)."""
        self.ever_connected = False
        self.canary_floor: dt.datetime = now
        """The canary's silence is counted from no earlier than this (its process's
        connection, this service's start)."""
        # --- the canary (any process) ---
        self.canary_seen_at: dt.datetime | None = None
        self.canary_tick_at: dt.datetime | None = None
        self.lag_ms: float | None = None
        self.in_session = True
        # --- the lifecycle ---
        self.proving = True
        """A process not yet proven healthy (new, or back from a failure)."""
        self.proving_since: dt.datetime | None = now
        self.failed = False
        """It was UNHEALTHY and has not been proven healthy since: not-yet-proven is
        RECOVERING rather than STARTING."""
        self.restored = restored is not None
        self.verdict = Verdict(
            state="STARTING",
            cause="starting",
            reason="waiting for the manager's status and the worker's heartbeat",
            since=now,
            at=now,
        )
        # What the last restored verdict said, for the message until fresh evidence.
        self.gateway_type: GatewayType = "sim"
        self.priority = 1
        self.contracts: list[str] = []
        self.canary = ""
        self.trading_hours: TradingHours = "exchange"
        """The manager's word; until a status comes, a sim restored from the bucket is
        taken to tick around the clock (its default) and anything else by the
        exchange's sessions (silence then reads as a closed market, not a failure)."""
        if restored is not None:
            self._restore(restored, now)

    # --- restoring a verdict a previous run left in the bucket -----------------------

    def _restore(self, health: SourceHealth, now: dt.datetime) -> None:
        """Carry on from the bucket: the verdict (and its ``since``) stands until
        fresh evidence contradicts it, so a restarted health service does not make
        the routing fail over."""
        self.verdict = Verdict(
            state=health.state,
            cause=health.cause,
            reason=health.reason,
            since=health.since,
            at=health.at,
            previous=health.previous,
            needs_operator=health.needs_operator,
            detected_ms=health.detected_ms,
        )
        self.pid, self.restarts = health.pid, health.restarts
        self.gateway_type, self.priority = health.gateway_type, health.priority
        self.contracts, self.canary = list(health.contracts), health.canary
        self.trading_hours = "always" if health.gateway_type == "sim" else "exchange"
        self.first_beat_due = now + dt.timedelta(seconds=self.t.first_beat_grace_s)
        self.canary_floor = now
        proven = health.state in ("HEALTHY", "MARKET_CLOSED", "DEGRADED")
        self.proving = not proven
        self.proving_since = now if health.state in ("STARTING", "RECOVERING") else None
        self.failed = health.state in ("UNHEALTHY", "RECOVERING")
        # A process judged before had got past its start: not being connected is a loss.
        self.ever_connected = health.state not in ("STARTING", "RECOVERING")
        if health.connected:
            self.conn = "connected"

    # --- what the rules ask of the state ------------------------------------------------

    def status_fresh(self, now: dt.datetime) -> bool:
        return (
            self.status_heard_at is not None
            and seconds(now - self.status_heard_at) <= self.t.status_silence_s
        )
