"""What the failover service makes of the router's decisions: pure.

:class:`~tickhub_failover.router.Router` decides, per contract, the active and the
eligible sources. From that the service derives, on every decision:

1. the entries of the ``tickhub_routing`` bucket (:func:`contract_routes`): a
   :class:`ContractRoute` per contract, the one already held where nothing changed
   (it keeps its ``at``: when it last changed);
2. in cold mode, each source's contracts (:func:`assignments`), which
   :mod:`.assign` tells the GatewayManager.

No clock, no bus: ``now`` is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from tickhub_contracts.messages import ContractRoute, FailoverMode, SourceHealth

from .router import Route

BY = "failover"
"""Who the bucket's entries and the restart orders say they are by."""


def contract_routes(
    decided: Mapping[str, Route],
    held: Mapping[str, ContractRoute],
    mode: FailoverMode,
    now: dt.datetime,
) -> dict[str, ContractRoute]:
    """The bucket's entries for the ``decided`` routing (vt_symbol -> route), given
    what it should hold so far (``held``)."""
    routes: dict[str, ContractRoute] = {}
    for vt_symbol, route in decided.items():
        old = held.get(vt_symbol)
        if old is not None and _same(old, route, mode):
            routes[vt_symbol] = old  # unchanged: keep its `at` (when it last changed)
        else:
            routes[vt_symbol] = ContractRoute(
                vt_symbol=vt_symbol,
                source=route.active,
                at=now,
                by=BY,
                eligible=list(route.eligible),
                mode=mode,
                degraded=route.degraded,
            )
    return routes


def assignments(
    health: Mapping[str, SourceHealth], decided: Mapping[str, Route]
) -> dict[str, list[str]]:
    """Cold mode: source -> the contracts it is active for (every judged source has
    an entry, empty when it serves none)."""
    assignments: dict[str, list[str]] = {name: [] for name in health}
    for vt_symbol, route in decided.items():
        assignments.setdefault(route.active, []).append(vt_symbol)
    return assignments


def _same(old: ContractRoute, route: Route, mode: str) -> bool:
    return (
        old.source == route.active
        and old.eligible_sources() == route.eligible
        and old.degraded == route.degraded
        and old.mode == mode
        and old.by == BY
    )
