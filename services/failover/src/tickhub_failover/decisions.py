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

from .router import Choice

BY = "failover"
"""Who the bucket's entries and the restart orders say they are by."""


def contract_routes(
    decided: Mapping[str, Choice],
    held: Mapping[str, ContractRoute],
    mode: FailoverMode,
    now: dt.datetime,
) -> dict[str, ContractRoute]:
    """The bucket's entries for the ``decided`` routing (vt_symbol -> route), given
    what it should hold so far (``held``)."""
    routes: dict[str, ContractRoute] = {}
    for vt_symbol, choice in decided.items():
        old = held.get(vt_symbol)
        if old is not None and _same(old, choice, mode):
            routes[vt_symbol] = old  # unchanged: keep its `at` (when it last changed)
        else:
            routes[vt_symbol] = ContractRoute(
                vt_symbol=vt_symbol,
                source=choice.active,
                at=now,
                by=BY,
                eligible=list(choice.eligible),
                mode=mode,
                degraded=choice.degraded,
            )
    return routes


def assignments(
    health: Mapping[str, SourceHealth], decided: Mapping[str, Choice]
) -> dict[str, list[str]]:
    """Cold mode: source -> the contracts it is active for (every judged source has
    an entry, empty when it serves none)."""
    assignments: dict[str, list[str]] = {name: [] for name in health}
    for vt_symbol, choice in decided.items():
        assignments.setdefault(choice.active, []).append(vt_symbol)
    return assignments


def _same(old: ContractRoute, choice: Choice, mode: str) -> bool:
    return (
        old.source == choice.active
        and old.eligible_sources() == choice.eligible
        and old.degraded == choice.degraded
        and old.mode == mode
        and old.by == BY
    )
