"""Which source's ticks the publisher forwards, per contract.

For now the rule is fixed: per contract, the highest-priority (lowest number) source
whose latest :class:`GatewayStatus` says connected and that carries the contract.
Until any status is known nothing is selected.

The seam for the failover service (issue 4) is the routing table: a plain
``dict[vt_symbol, source]`` that the bridge reads per tick and that is replaced
whole, never edited in place. Routing read from a JetStream KV bucket only has to
produce the same table and hand it to :meth:`Bridge.apply_routes`.
"""

from __future__ import annotations

from collections.abc import Mapping

from tickhub_contracts.messages import GatewayStatus

Routes = Mapping[str, str]
"""vt_symbol -> the source whose ticks are forwarded for it."""

Change = tuple[str | None, str | None]
"""(previous source, new source) of one contract; None = nothing selected."""


def diff(old: Routes, new: Routes) -> dict[str, Change]:
    """Contracts whose selected source differs between two tables."""
    return {
        vt_symbol: (old.get(vt_symbol), new.get(vt_symbol))
        for vt_symbol in old.keys() | new.keys()
        if old.get(vt_symbol) != new.get(vt_symbol)
    }


class PrioritySelection:
    """Keeps the latest status of every source and derives the routing table."""

    def __init__(self) -> None:
        self._statuses: dict[str, GatewayStatus] = {}
        self.routes: Routes = {}

    @property
    def statuses(self) -> Mapping[str, GatewayStatus]:
        return self._statuses

    def update(self, status: GatewayStatus) -> dict[str, Change]:
        """Take one status; return the contracts whose selection changed.

        A status older than the one already held (by ``at``) is ignored: the startup
        pool snapshot can arrive after a newer status message for the same source.
        """
        held = self._statuses.get(status.source)
        if held is not None and status.at < held.at:
            return {}
        self._statuses[status.source] = status
        routes = self.compute()
        changes = diff(self.routes, routes)
        if changes:
            self.routes = routes
        return changes

    def compute(self) -> dict[str, str]:
        best: dict[str, tuple[int, str]] = {}
        for status in self._statuses.values():
            if not status.connected:
                continue
            # Ties on priority go to the source name, so every publisher agrees.
            rank = (status.priority, status.source)
            for vt_symbol in status.subscribed:
                current = best.get(vt_symbol)
                if current is None or rank < current:
                    best[vt_symbol] = rank
        return {vt_symbol: rank[1] for vt_symbol, rank in best.items()}
