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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from tickhub_contracts.messages import (
    Connection,
    ConnectionState,
    GatewayStatus,
    GatewayType,
    HealthCause,
    HealthState,
    Heartbeat,
    SourceHealth,
    TradingHours,
)
from tickhub_markets import sessions

NO_LOGIN_ANSWER = 0x3002
"""tickhub's own reason code for a login that got no answer: a transient fault, not
rejected credentials."""

STATUS_SILENCE_FACTOR = 3
"""A status older than this many status intervals means the manager is silent."""

LAG_RECOVERY = 0.8
"""A lagging source is DEGRADED above the threshold and HEALTHY again only below
this fraction of it, so a lag near the threshold does not flap the routing."""

_HELD: frozenset[HealthState] = frozenset({"UNHEALTHY", "STOPPED"})


@dataclass(frozen=True, slots=True)
class Thresholds:
    heartbeat_interval_s: float = 1.0
    heartbeat_timeout_s: float = 1.5
    canary_timeout_s: float = 3.0
    lag_degraded_ms: float = 500.0
    startup_grace_s: float = 20.0
    status_interval_s: float = 2.0

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
class _Assessment:
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


def _seconds(delta: dt.timedelta) -> float:
    return delta.total_seconds()


class SourceMachine:
    """Judges one source. Feed it with the ``on_*`` methods, then :meth:`evaluate`."""

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

    # --- inputs ------------------------------------------------------------------------

    def on_status(self, status: GatewayStatus, now: dt.datetime) -> None:
        self.status, self.status_heard_at = status, now
        self.removed_at = None
        self.gateway_type, self.priority = status.gateway_type, status.priority
        self.contracts = list(status.contracts or status.subscribed)
        self.canary = status.canary or self.canary
        self.trading_hours = status.trading_hours
        if status.pid is not None and self._is_new_process(
            status.pid, status.pid_started_at, status.restarts
        ):
            self._new_process(status.pid, now)
        self.pid_started_at = status.pid_started_at or self.pid_started_at
        self.restarts = status.restarts
        # Only a seed: the worker's own messages are newer than a periodic status.
        seed = status.connection != "disconnected" or status.reason_code is not None
        if seed and status.pid is not None and status.pid == self.pid and not self.conn_direct:
            self._set_conn(status.connection, status.reason_code, status.reason, now, False)

    def _is_new_process(self, pid: int, started_at: dt.datetime | None, restarts: int) -> bool:
        if pid != self.pid:
            return True
        known = started_at is not None and self.pid_started_at is not None
        return (known and started_at != self.pid_started_at) or restarts > self.restarts

    def _new_process(self, pid: int, now: dt.datetime) -> None:
        self.pid = pid
        self.pid_started_at = None
        self.heard_at = None
        self.first_beat_due = now + dt.timedelta(seconds=self.t.startup_grace_s)
        self.conn, self.conn_code, self.conn_message, self.conn_at = None, None, "", None
        self.conn_direct = False
        self.ever_connected = False
        self.canary_floor = now
        self.lag_ms = None
        self.proving, self.proving_since = True, now
        self.restored = False

    def on_heartbeat(self, beat: Heartbeat, now: dt.datetime) -> bool:
        """Fold a heartbeat in; False (ignored) when it is not from the current
        process as the manager knows it."""
        if self.status_fresh(now) and self.status is not None:
            if self.status.pid is None or beat.pid != self.status.pid:
                return False  # a late beat of a process the manager saw end
        elif beat.pid != self.pid:
            # The manager is silent: the heartbeat itself tells of a new process.
            self._new_process(beat.pid, now)
        if self.pid is None:
            self.pid = beat.pid
        self.heard_at = now
        self.canary = beat.canary or self.canary
        if beat.canary_received_at is not None and beat.canary_tick_at is not None:
            # The worker's word for the canary (same host's clock): a fallback when our
            # own tick subscription hears nothing.
            self._saw_canary(beat.canary_received_at, beat.canary_tick_at, now)
        # The heartbeat repeats the connection flag; it heals a lost Connection message.
        if beat.connected and self.conn != "connected":
            self._set_conn("connected", None, "", now, True)
        elif not beat.connected and self.conn == "connected":
            self._set_conn("disconnected", None, "the heartbeat says not connected", now, True)
        return True

    def on_connection(self, conn: Connection, now: dt.datetime) -> None:
        self._set_conn(conn.state, conn.reason_code, conn.message, min(conn.at, now), True)

    def _set_conn(
        self,
        state: ConnectionState,
        code: int | None,
        message: str,
        at: dt.datetime,
        direct: bool,
    ) -> None:
        if state == "connected" and self.conn != "connected":
            self.ever_connected = True
            self.canary_floor = max(self.canary_floor, at)
        self.conn, self.conn_code, self.conn_message, self.conn_at = state, code, message, at
        self.conn_direct = self.conn_direct or direct

    def on_canary_tick(self, exchange_at: dt.datetime, now: dt.datetime) -> None:
        """A live tick of this source's canary arrived now."""
        self._saw_canary(now, exchange_at, now)

    def _saw_canary(self, seen_at: dt.datetime, tick_at: dt.datetime, now: dt.datetime) -> None:
        seen_at = min(seen_at, now)
        if self.canary_seen_at is None or seen_at > self.canary_seen_at:
            self.canary_seen_at, self.canary_tick_at = seen_at, tick_at

    def excuse_silence(self, now: dt.datetime) -> None:
        """This service was cut off the bus: what it did not hear meanwhile says
        nothing about the source, so its silence is counted again from ``now``."""
        if self.heard_at is not None:
            self.heard_at = max(self.heard_at, now)
        grace = dt.timedelta(seconds=self.t.first_beat_grace_s)
        self.first_beat_due = max(self.first_beat_due, now + grace)
        self.canary_floor = max(self.canary_floor, now)
        if self.status_heard_at is not None:
            self.status_heard_at = max(self.status_heard_at, now)

    def on_lag(self, lag_ms: float | None) -> None:
        self.lag_ms = lag_ms

    def removed(self, now: dt.datetime) -> None:
        """The manager no longer has this source in its pool."""
        if self.removed_at is None:
            self.removed_at = now

    # --- judging -----------------------------------------------------------------------

    def status_fresh(self, now: dt.datetime) -> bool:
        return (
            self.status_heard_at is not None
            and _seconds(now - self.status_heard_at) <= self.t.status_silence_s
        )

    def evaluate(
        self, now: dt.datetime, holidays: frozenset[dt.date] = frozenset()
    ) -> Verdict | None:
        """Judge the source now; the new verdict when its state or cause changed."""
        found = self._assess(now, holidays)
        return self._apply(found, now)

    def _assess(self, now: dt.datetime, holidays: frozenset[dt.date]) -> _Assessment:
        canary = self.canary
        self.in_session = (
            self.trading_hours == "always" or not canary or sessions.is_open(canary, now, holidays)
        )
        if self.removed_at is not None:
            return _Assessment("stopped", "STOPPED", "stopped", "removed from the pool")
        status = self.status
        fresh = self.status_fresh(now)
        beat_fresh = self.heard_at is not None and (
            _seconds(now - self.heard_at) <= self.t.heartbeat_timeout_s
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
            return _Assessment(
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
                return _Assessment("keep", state, self.verdict.cause, "")
            return self._unproven("waiting for the worker's first heartbeat", now, "heartbeat_lost")
        return self._judge_feed(now, holidays)

    def _judge_process(
        self, status: GatewayStatus, silent: str, now: dt.datetime
    ) -> _Assessment | None:
        if status.manual_stop or status.state in ("stopped", "stopping"):
            why = status.reason or ("stopped by an operator" if status.manual_stop else "stopped")
            if status.restarting and not status.manual_stop:
                if self.verdict.state == "UNHEALTHY":
                    # A failed process being replaced: still failed until the new one shows.
                    return _Assessment(
                        "failure",
                        "UNHEALTHY",
                        self.verdict.cause,
                        f"{why}: waiting for the new process{silent}",
                        first_sign=status.at,
                    )
                # A hard restart of a working source (an operator's) is no stop: the
                # source is RECOVERING until its new process is proven.
                self.failed = True
                return self._unproven(f"{why}{silent}", now, "unknown")
            return _Assessment(
                "stopped",
                "STOPPED",
                "stopped",
                f"{status.state}: {why}{silent}",
                manual=status.manual_stop,
            )
        if status.state == "exited":
            return _Assessment(
                "failure",
                "UNHEALTHY",
                "process_exited",
                f"worker exited: {status.reason or 'no reason given'}{silent}",
                first_sign=status.at,
            )
        return None

    def _heartbeat_lost(self, now: dt.datetime) -> _Assessment | None:
        if self.heard_at is not None:
            silent = _seconds(now - self.heard_at)
            if silent > self.t.heartbeat_timeout_s:
                return _Assessment(
                    "failure",
                    "UNHEALTHY",
                    "heartbeat_lost",
                    f"heartbeat lost for {silent:.1f} s (pid {self.pid})",
                    first_sign=self.heard_at,
                )
            return None
        if now > self.first_beat_due and not self.proving:
            waited = self.t.first_beat_grace_s
            return _Assessment(
                "failure",
                "UNHEALTHY",
                "heartbeat_lost",
                f"no heartbeat heard in {waited:.1f} s",
                first_sign=self.first_beat_due - dt.timedelta(seconds=waited),
            )
        return None

    def _unproven(self, what: str, now: dt.datetime, cause_if_late: HealthCause) -> _Assessment:
        """Not failing, not yet healthy: STARTING/RECOVERING, until the grace ends."""
        since = self.proving_since or now
        waited = _seconds(now - since)
        if waited > self.t.startup_grace_s:
            return _Assessment(
                "failure",
                "UNHEALTHY",
                cause_if_late,
                f"not healthy {waited:.1f} s after its start: {what}",
                first_sign=since,
                late=True,
            )
        if self.failed:
            return _Assessment("unproven", "RECOVERING", "recovering", f"recovering: {what}")
        return _Assessment("unproven", "STARTING", "starting", f"starting: {what}")

    def _judge_feed(self, now: dt.datetime, holidays: frozenset[dt.date]) -> _Assessment:
        """A beating worker: its connection, its canary, its lag."""
        canary = self.canary
        conn = self.conn
        if conn == "login_failed":
            detail = self._conn_detail()
            if self.conn_code == NO_LOGIN_ANSWER:
                return _Assessment(
                    "failure",
                    "UNHEALTHY",
                    "disconnected",
                    f"login unanswered{detail}",
                    first_sign=self.conn_at,
                )
            return _Assessment(
                "failure",
                "UNHEALTHY",
                "login_rejected",
                f"login rejected{detail}: the operator must fix the account "
                "(not retried: brokers lock accounts after a few failed logins)",
                first_sign=self.conn_at,
                needs_operator=True,
            )
        if conn != "connected":
            if not self.in_session:
                return self._closed(now, holidays, f" ({conn or 'not connected'} between sessions)")
            if self.proving and not self.ever_connected and conn != "disconnected":
                return self._unproven(f"{conn or 'not'} connected yet", now, "disconnected")
            return _Assessment(
                "failure",
                "UNHEALTHY",
                "disconnected",
                f"{conn or 'not connected'}{self._conn_detail()}",
                first_sign=self.conn_at or now,
            )
        if not self.in_session:
            return self._closed(now, holidays, "")
        if not canary:
            return _Assessment("ok", "HEALTHY", "ok", "connected and beating (no canary set)")
        return self._judge_canary(canary, now, holidays)

    def _closed(self, now: dt.datetime, holidays: frozenset[dt.date], extra: str) -> _Assessment:
        try:
            opens = sessions.next_open(self.canary, now, holidays)
            when = f"; opens {opens:%a %Y-%m-%d %H:%M} Asia/Shanghai"
        except ValueError:
            when = ""
        return _Assessment(
            "ok", "MARKET_CLOSED", "market_closed", f"{self.canary} session closed{when}{extra}"
        )

    def _judge_canary(
        self, canary: str, now: dt.datetime, holidays: frozenset[dt.date]
    ) -> _Assessment:
        floor = self.canary_floor
        if self.trading_hours != "always":
            bounds = sessions.current_session(canary, now, holidays)
            if bounds is not None:
                floor = max(floor, bounds[0])
        seen = self.canary_seen_at
        since = max(floor, seen) if seen is not None else floor
        silent = _seconds(now - since)
        timeout = self.t.canary_timeout_s
        if silent > timeout:
            return _Assessment(
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
            return _Assessment(
                "degraded",
                "DEGRADED",
                "canary_stale",
                f"canary {canary} silent for {silent:.1f} s in session",
            )
        lag = self.lag_ms
        if lag is not None:
            lagging = self.verdict.state == "DEGRADED" and self.verdict.cause == "lagging"
            limit = self.t.lag_degraded_ms * (LAG_RECOVERY if lagging else 1.0)
            if lag > limit:
                return _Assessment(
                    "degraded",
                    "DEGRADED",
                    "lagging",
                    f"ticks arrive {lag:.0f} ms behind a peer's copies "
                    f"(median; limit {self.t.lag_degraded_ms:.0f} ms)",
                )
        return _Assessment(
            "ok", "HEALTHY", "ok", f"connected, beating, canary {canary} {silent:.1f} s ago"
        )

    def _conn_detail(self) -> str:
        parts = []
        if self.conn_code is not None:
            parts.append(
                f"code {self.conn_code:#x}"
                if self.conn_code >= 0x3000
                else f"code {self.conn_code}"
            )
        if self.conn_message:
            parts.append(self.conn_message)
        return f" ({', '.join(parts)})" if parts else ""

    def _apply(self, found: _Assessment, now: dt.datetime) -> Verdict | None:
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
                detected = max(0.0, _seconds(now - found.first_sign) * 1000.0)
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
            latency = _seconds(self.canary_seen_at - self.canary_tick_at) * 1000.0
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
            heartbeat_age_s=None if self.heard_at is None else _seconds(now - self.heard_at),
            canary=self.canary,
            canary_age_s=(
                None if self.canary_seen_at is None else _seconds(now - self.canary_seen_at)
            ),
            canary_latency_ms=latency,
            lag_ms=self.lag_ms,
            in_session=self.in_session,
            needs_operator=verdict.needs_operator,
            detected_ms=verdict.detected_ms,
        )
