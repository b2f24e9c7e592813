"""The process and its heartbeat: stopped, exited, or no heartbeat heard.

What the manager says of the worker's process (stopped or stopping, a hard restart
under way, exited) and whether the process still beats. A manager that says hung is
judged in :meth:`~tickhub_health.machine.SourceMachine.evaluate` itself, after these.
"""

from __future__ import annotations

import datetime as dt

from tickhub_contracts.messages import GatewayStatus

from ..state import Assessment, seconds
from .grace import StartupGrace


class ProcessRules(StartupGrace):
    def _judge_process(
        self, status: GatewayStatus, silent: str, now: dt.datetime
    ) -> Assessment | None:
        if status.manual_stop or status.state in ("stopped", "stopping"):
            why = status.reason or ("stopped by an operator" if status.manual_stop else "stopped")
            if status.restarting and not status.manual_stop:
                if self.verdict.state == "UNHEALTHY":
                    # A failed process being replaced: still failed until the new one shows.
                    return Assessment(
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
            return Assessment(
                "stopped",
                "STOPPED",
                "stopped",
                f"{status.state}: {why}{silent}",
                manual=status.manual_stop,
            )
        if status.state == "exited":
            return Assessment(
                "failure",
                "UNHEALTHY",
                "process_exited",
                f"worker exited: {status.reason or 'no reason given'}{silent}",
                first_sign=status.at,
            )
        return None

    def _heartbeat_lost(self, now: dt.datetime) -> Assessment | None:
        if self.heard_at is not None:
            silent = seconds(now - self.heard_at)
            if silent > self.t.heartbeat_timeout_s:
                return Assessment(
                    "failure",
                    "UNHEALTHY",
                    "heartbeat_lost",
                    f"heartbeat lost for {silent:.1f} s (pid {self.pid})",
                    first_sign=self.heard_at,
                )
            return None
        if now > self.first_beat_due and not self.proving:
            waited = self.t.first_beat_grace_s
            return Assessment(
                "failure",
                "UNHEALTHY",
                "heartbeat_lost",
                f"no heartbeat heard in {waited:.1f} s",
                first_sign=self.first_beat_due - dt.timedelta(seconds=waited),
            )
        return None
