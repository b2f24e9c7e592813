"""What the manager knows about one source, folded from what it sees: pure logic.

:class:`SourceTracker` turns process events (spawned, exited, stopped), the worker's
Heartbeats and Connection messages, and the passing of time into a
:class:`GatewayStatus`. It does no I/O and reads no clock: the manager passes
``now`` (monotonic seconds) in, so every rule here is unit-testable.
"""

from __future__ import annotations

import signal
from collections import deque
from datetime import UTC, datetime

from tickhub_contracts.messages import (
    Connection,
    ConnectionState,
    GatewayStatus,
    Heartbeat,
    ProcessState,
    SourceConfig,
    TradingHours,
    contracts_digest,
)

ALIVE: frozenset[ProcessState] = frozenset({"starting", "running", "hung", "stopping"})

RATE_WINDOW = 6
"""Heartbeats the tick rate is measured over (5 intervals: ~5 s at one a second),
long enough to smooth a sim's 2-per-second cadence, short enough to show a stall."""


def trading_hours(config: SourceConfig) -> TradingHours:
    """When the source's canary is expected to tick: a sim says so in its settings
    (around the clock by default), a CTP front follows the exchange's sessions unless
    its account is on a local front that ticks around the clock."""
    if config.gateway_type == "sim":
        return config.sim.trading_hours if config.sim is not None else "always"
    return config.ctp.trading_hours if config.ctp is not None else "exchange"


def describe_exit(returncode: int) -> str:
    """``-9`` -> ``'killed by SIGKILL'``; ``70`` -> ``'exit code 70'``."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exit code {returncode}"


class SourceTracker:
    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.state: ProcessState = "stopped"
        self.pid: int | None = None
        self.restarts = 0
        self.exit_code: int | None = None
        self.reason = ""
        self.manual_stop = False
        self.connection: ConnectionState = "disconnected"
        self.reason_code: int | None = None
        self.connection_message = ""
        self.started_at: float | None = None
        self.pid_started_at: datetime | None = None
        """Wall time the current worker was spawned (a new value: a new process)."""
        self.restarting = False
        """A hard restart is under way (set by the manager around it)."""
        self.heard_at: float | None = None
        """Monotonic time of the newest heartbeat of the current process."""
        self.heartbeat: Heartbeat | None = None
        self._counts: deque[tuple[datetime, int]] = deque(maxlen=RATE_WINDOW)
        """(heartbeat time, ticks_total) of the current process's latest heartbeats."""
        self._published: tuple[object, ...] | None = None
        self._digest_of: list[str] | None = None
        self._digest = ""

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def alive(self) -> bool:
        return self.state in ALIVE

    # --- process events -----------------------------------------------------------------

    def spawned(self, pid: int, now: float, at: datetime | None = None) -> None:
        """A new worker ``pid`` at monotonic ``now`` (wall time ``at``)."""
        self.state = "starting"
        self.pid = pid
        self.exit_code = None
        self.reason = ""
        self.started_at = now
        self.pid_started_at = at
        self.heard_at = None
        self.heartbeat = None
        self._counts.clear()
        self._lose_connection()

    def stopping(self, why: str) -> None:
        self.state = "stopping"
        self.reason = why

    def stopped(self, returncode: int | None, why: str) -> None:
        """Ended on purpose (stop, restart, removal, shutdown)."""
        self.state = "stopped"
        self.pid = None
        self.pid_started_at = None
        self.exit_code = returncode
        self.reason = why
        self._lose_connection()

    def exited(self, returncode: int) -> None:
        """Ended by itself or by someone else's signal."""
        self.state = "exited"
        self.pid = None
        self.pid_started_at = None
        self.exit_code = returncode
        self.reason = describe_exit(returncode)
        self._lose_connection()

    def spawn_failed(self, error: str) -> None:
        self.state = "exited"
        self.pid = None
        self.pid_started_at = None
        self.reason = f"could not start the worker: {error}"
        self._lose_connection()

    def _lose_connection(self) -> None:
        self.connection = "disconnected"
        self.reason_code = None
        self.connection_message = ""

    # --- what the worker says ---------------------------------------------------------

    def on_heartbeat(self, beat: Heartbeat, now: float) -> bool:
        """Fold a heartbeat in; False (ignored) when it is not from the current process."""
        if self.pid is None or beat.pid != self.pid or self.state not in ALIVE:
            return False
        self.heartbeat = beat
        self.heard_at = now
        if self._counts and (
            beat.at <= self._counts[-1][0] or beat.ticks_total < self._counts[-1][1]
        ):
            self._counts.clear()  # a clock step or a counter reset: start measuring again
        self._counts.append((beat.at, beat.ticks_total))
        if self.state in ("starting", "hung"):
            self.state = "running"
            self.reason = ""
        # The heartbeat repeats the connection flag: it heals a lost Connection message.
        if beat.connected and self.connection != "connected":
            self.connection, self.reason_code, self.connection_message = "connected", None, ""
        elif not beat.connected and self.connection == "connected":
            self.connection = "disconnected"
        return True

    def on_connection(self, conn: Connection) -> bool:
        if self.pid is None or self.state not in ALIVE:
            return False
        self.connection = conn.state
        self.reason_code = conn.reason_code
        self.connection_message = conn.message
        return True

    # --- time ---------------------------------------------------------------------------

    def check(self, now: float, heartbeat_timeout: float, start_timeout: float) -> bool:
        """Declare a silent worker hung; True when the state changed."""
        if self.state == "running" and self.heard_at is not None:
            silent = now - self.heard_at
            if silent > heartbeat_timeout:
                self.state = "hung"
                self.reason = f"no heartbeat for {silent:.1f} s"
                return True
        elif self.state == "starting" and self.started_at is not None:
            silent = now - self.started_at
            if silent > start_timeout:
                self.state = "hung"
                self.reason = f"no heartbeat {silent:.1f} s after start"
                return True
        return False

    def excuse_silence(self, now: float) -> None:
        """Restart the heartbeat clock: the manager itself was cut off the bus."""
        if self.heard_at is not None:
            self.heard_at = max(self.heard_at, now)
        if self.started_at is not None:
            self.started_at = max(self.started_at, now)

    @property
    def ticks_per_s(self) -> float:
        """Ticks per second over the last :data:`RATE_WINDOW` heartbeats, measured
        by the worker's own clock (the heartbeats' ``at``), not by when they arrived
        here: a burst of late heartbeats must not read as a burst of ticks."""
        if self.state != "running" or len(self._counts) < 2:
            return 0.0
        (first_at, first), (last_at, last) = self._counts[0], self._counts[-1]
        span = (last_at - first_at).total_seconds()
        return round((last - first) / span, 3) if span > 0 else 0.0

    # --- the published view ---------------------------------------------------------------

    def status(self, at: datetime | None = None) -> GatewayStatus:
        beat = self.heartbeat
        reason = self.reason
        if not reason and self.alive and self.connection != "connected":
            reason = self.connection + (
                f": {self.connection_message}" if self.connection_message else ""
            )
        return GatewayStatus(
            source=self.config.name,
            gateway_type=self.config.gateway_type,
            priority=self.config.priority,
            state=self.state,
            at=at or datetime.now(UTC),
            pid=self.pid,
            restarts=self.restarts,
            exit_code=self.exit_code,
            connection=self.connection,
            reason_code=self.reason_code,
            reason=reason,
            manual_stop=self.manual_stop,
            last_heartbeat_at=beat.at if beat else None,
            canary=self.config.canary,
            canary_tick_at=beat.canary_tick_at if beat else None,
            last_tick_at=beat.last_tick_at if beat else None,
            ticks_total=beat.ticks_total if beat else 0,
            subscribed_count=beat.subscribed_count if beat else 0,
            ticks_per_s=self.ticks_per_s,
            canary_received_at=beat.canary_received_at if beat else None,
            contracts=sorted(self.config.contracts),
            trading_hours=trading_hours(self.config),
            pid_started_at=self.pid_started_at,
            restarting=self.restarting,
        )

    def _key(self) -> tuple[object, ...]:
        beat = self.heartbeat
        return (
            self.state,
            self.pid,
            self.restarts,
            self.exit_code,
            self.reason,
            self.manual_stop,
            self.connection,
            self.reason_code,
            self.connection_message,
            self.config.priority,
            self.config.canary,
            self._contracts_digest(),
            trading_hours(self.config),
            self.pid_started_at,
            self.restarting,
            beat.subscribed_digest if beat else "",
        )

    def _contracts_digest(self) -> str:
        # Once per configuration, not per heartbeat: a source may carry thousands.
        contracts = self.config.contracts
        if self._digest_of is not contracts:
            self._digest_of, self._digest = contracts, contracts_digest(contracts)
        return self._digest

    def take_change(self) -> bool:
        """True once per change worth telling (not every heartbeat's counters)."""
        key = self._key()
        if key == self._published:
            return False
        self._published = key
        return True
