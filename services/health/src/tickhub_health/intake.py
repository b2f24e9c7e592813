"""The news on one source, folded into what the health machine knows: pure.

Each ``on_*`` method takes one message the health service heard (the manager's
status, the worker's heartbeat or connection message, a tick of the canary, the
peer lag) with the time it arrived, and updates the evidence of
:class:`~tickhub_health.state.SourceState`: which process is the current one, its
connection, when the canary was last seen. Nothing is judged here; that is
:meth:`~tickhub_health.machine.SourceMachine.evaluate`'s job.
"""

from __future__ import annotations

import datetime as dt

from tickhub_contracts.messages import Connection, ConnectionState, GatewayStatus, Heartbeat

from .state import SourceState


class Intake(SourceState):
    """The part of :class:`~tickhub_health.machine.SourceMachine` that listens."""

    def on_status(self, status: GatewayStatus, now: dt.datetime) -> None:
        self.status, self.status_heard_at = status, now
        self.removed_at = None
        self.gateway_type, self.priority = status.gateway_type, status.priority
        self.contracts = list(status.contracts)
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
