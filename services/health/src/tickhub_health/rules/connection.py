"""The connection and login of a beating worker, then its ticks.

A rejected login is UNHEALTHY and left to the operator (never retried: brokers lock
accounts after a few failed logins); a login that got no answer, or a connection
lost in session, is UNHEALTHY as ``disconnected``; one not connected yet during its
start is within its grace; between sessions not being connected is normal (a CTP
front drops the connection). A connected worker is judged by its canary
(:mod:`.canary`).
"""

from __future__ import annotations

import datetime as dt

from ..state import Assessment
from .canary import CanaryRules

NO_LOGIN_ANSWER = 0x3002
"""tickhub's own reason code for a login that got no answer: a transient fault, not
rejected credentials."""


class ConnectionRules(CanaryRules):
    def _judge_feed(self, now: dt.datetime, holidays: frozenset[dt.date]) -> Assessment:
        """A beating worker: its connection, its canary, its lag."""
        canary = self.canary
        conn = self.conn
        if conn == "login_failed":
            detail = self._conn_detail()
            if self.conn_code == NO_LOGIN_ANSWER:
                return Assessment(
                    "failure",
                    "UNHEALTHY",
                    "disconnected",
                    f"login unanswered{detail}",
                    first_sign=self.conn_at,
                )
            return Assessment(
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
            return Assessment(
                "failure",
                "UNHEALTHY",
                "disconnected",
                f"{conn or 'not connected'}{self._conn_detail()}",
                first_sign=self.conn_at or now,
            )
        if not self.in_session:
            return self._closed(now, holidays, "")
        if not canary:
            return Assessment("ok", "HEALTHY", "ok", "connected and beating (no canary set)")
        return self._judge_canary(canary, now, holidays)

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
