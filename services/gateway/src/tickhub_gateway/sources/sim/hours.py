"""When a sim with ``trading_hours="exchange"`` ticks: inside its contracts' sessions.

A real CTP front is silent between sessions; a sim that rehearses session breaks
(the health service's MARKET_CLOSED, no restart of a quiet source) must be too. The
sessions come from :mod:`tickhub_markets.sessions`; each contract's answer is kept
until its next session boundary, so the tick path costs one dictionary look-up.
"""

from __future__ import annotations

import datetime as dt

from tickhub_markets import sessions
from tickhub_markets.unknown import warn_if_unknown
from tickhub_runtime.logs import get_logger

log = get_logger("tickhub.gateway.sim")

NS = 1_000_000_000
NO_SESSION_RECHECK_NS = 86_400 * NS
"""A contract with no session within the calendar's horizon is asked again a day later."""


def _ns(at: dt.datetime) -> int:
    return int(at.timestamp()) * NS + at.microsecond * 1_000


class SessionGate:
    """Whether a contract is in session at an instant (ns since the epoch).

    Not thread-safe, and need not be: only the sim's generator thread asks."""

    def __init__(self, holidays: frozenset[dt.date] = frozenset()) -> None:
        self.holidays = holidays
        self._spans: dict[str, tuple[int, int, bool]] = {}
        """vt_symbol -> (from_ns, until_ns, open): the answer for [from, until)."""

    def is_open(self, vt_symbol: str, at_ns: int) -> bool:
        span = self._spans.get(vt_symbol)
        if span is not None and span[0] <= at_ns < span[1]:
            return span[2]
        return self._ask(vt_symbol, at_ns)

    def _ask(self, vt_symbol: str, at_ns: int) -> bool:
        at = dt.datetime.fromtimestamp(at_ns / NS, dt.UTC)
        warn_if_unknown(vt_symbol, log)
        current = sessions.current_session(vt_symbol, at, self.holidays)
        if current is not None:
            self._spans[vt_symbol] = (at_ns, _ns(current[1]), True)
            return True
        try:
            until = _ns(sessions.next_open(vt_symbol, at, self.holidays))
        except ValueError:
            until = at_ns + NO_SESSION_RECHECK_NS
        self._spans[vt_symbol] = (at_ns, until, False)
        return False
