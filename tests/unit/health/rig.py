"""A clock and message makers for driving a SourceMachine in tests."""

from __future__ import annotations

import datetime as dt

from tickhub_contracts.messages import (
    Connection,
    ConnectionState,
    GatewayStatus,
    Heartbeat,
    ProcessState,
    SourceHealth,
    TradingHours,
)
from tickhub_health.machine import SourceMachine
from tickhub_health.state import Thresholds, Verdict

# A Wednesday, 10:00 in Shanghai: rb2605.SHFE is in its day session.
WED_1000 = dt.datetime(2025, 1, 8, 2, 0, tzinfo=dt.UTC)
THRESHOLDS = Thresholds(
    heartbeat_interval_s=1.0,
    heartbeat_timeout_s=1.5,
    canary_timeout_s=3.0,
    lag_degraded_ms=500.0,
    startup_grace_s=20.0,
    status_interval_s=2.0,
)


class Rig:
    def __init__(
        self,
        start: dt.datetime = WED_1000,
        *,
        trading_hours: TradingHours = "always",
        canary: str = "rb2605.SHFE",
        restored: SourceHealth | None = None,
        holidays: frozenset[dt.date] = frozenset(),
        thresholds: Thresholds = THRESHOLDS,
    ) -> None:
        self.now = start
        self.trading_hours: TradingHours = trading_hours
        self.canary = canary
        self.holidays = holidays
        self.machine = SourceMachine("sim-a", thresholds, start, restored)
        self.pid = 100
        self.restarts = 0
        self.seq = 0
        self.changes: list[Verdict] = []

    def tick(self, seconds: float) -> Verdict | None:
        self.now += dt.timedelta(seconds=seconds)
        return self.evaluate()

    def evaluate(self) -> Verdict | None:
        change = self.machine.evaluate(self.now, self.holidays)
        if change is not None:
            self.changes.append(change)
        return change

    @property
    def state(self) -> str:
        return self.machine.verdict.state

    @property
    def cause(self) -> str:
        return self.machine.verdict.cause

    def status(
        self,
        state: ProcessState = "running",
        *,
        pid: int | bool | None = True,
        connection: ConnectionState = "connected",
        manual_stop: bool = False,
        reason: str = "",
        reason_code: int | None = None,
        restarting: bool | None = None,
    ) -> None:
        # The manager flags the stop inside a hard restart; its reason says so too.
        if restarting is None:
            restarting = reason.startswith("hard restart")
        self.machine.on_status(
            GatewayStatus(
                source="sim-a",
                gateway_type="sim",
                priority=1,
                state=state,
                at=self.now,
                pid=self.pid if pid is True else (None if pid is False else pid),
                restarts=self.restarts,
                connection=connection,
                reason_code=reason_code,
                reason=reason,
                manual_stop=manual_stop,
                canary=self.canary,
                contracts=["rb2605.SHFE", "au2602.SHFE"],
                trading_hours=self.trading_hours,
                restarting=restarting,
            ),
            self.now,
        )

    def beat(self, *, connected: bool = True, pid: int | None = None) -> bool:
        self.seq += 1
        return self.machine.on_heartbeat(
            Heartbeat(
                source="sim-a",
                pid=self.pid if pid is None else pid,
                seq=self.seq,
                at=self.now,
                connected=connected,
                ticks_total=self.seq,
                canary=self.canary,
            ),
            self.now,
        )

    def connection(self, state: ConnectionState, code: int | None = None) -> None:
        self.machine.on_connection(
            Connection(source="sim-a", state=state, at=self.now, reason_code=code), self.now
        )

    def canary_tick(self) -> None:
        self.machine.on_canary_tick(self.now - dt.timedelta(milliseconds=5), self.now)

    def new_process(self) -> None:
        self.pid += 1
        self.restarts += 1
        self.status("starting", connection="disconnected")

    def run_healthy(self, seconds: float, step: float = 0.5) -> None:
        """Beat, tick and report for ``seconds`` (statuses every 2 s, like the manager)."""
        elapsed = 0.0
        while elapsed < seconds:
            self.tick(step)
            elapsed += step
            self.canary_tick()
            if round(elapsed / step) % 2 == 0:
                self.beat()
            if round(elapsed / step) % 4 == 0:
                self.status()
            self.evaluate()

    def bring_up(self) -> None:
        """A new process that starts, connects and ticks: HEALTHY."""
        self.status("starting", connection="disconnected")
        self.evaluate()
        self.tick(0.5)
        self.beat(connected=False)
        self.status("running", connection="connecting")
        self.connection("connecting")
        self.evaluate()
        self.tick(0.2)
        self.connection("connected")
        self.evaluate()
        self.run_healthy(1.5)
