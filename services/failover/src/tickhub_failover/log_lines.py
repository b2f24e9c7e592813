"""The words of the failover service's log lines about its decisions.

One line per failover event (:func:`log_change`), one per group of contracts whose
routing changed in a way no event tells of (:func:`log_routes`), and one per hard
restart decision (:func:`log_restart`). Operators read these lines (on stderr, and
on the bus under the source they are about): change their words with care.
"""

from __future__ import annotations

import logging

from tickhub_contracts.messages import ContractRoute, RestartAction
from tickhub_runtime.logs import get_logger

from .restarts import Notice
from .router import Change

log = get_logger("tickhub.failover")


def log_routes(
    old: dict[str, ContractRoute],
    new: dict[str, ContractRoute],
    changes: list[Change],
) -> None:
    """Route changes no event tells of (who else is eligible, a degraded active),
    one line per resulting (active, eligible, degraded)."""
    moved = {vt for change in changes for vt in change.event.contracts}
    groups: dict[tuple[str, tuple[str, ...], bool], list[str]] = {}
    for vt_symbol, route in new.items():
        before = old.get(vt_symbol)
        if vt_symbol in moved or before is None or before.at == route.at:
            continue
        key = (route.source, tuple(route.eligible), route.degraded)
        groups.setdefault(key, []).append(vt_symbol)
    for (active, eligible, degraded), contracts in sorted(groups.items()):
        log.log(
            logging.WARNING if degraded else logging.INFO,
            "%s for %d contract(s) [%s]: eligible now %s",
            f"{active} serves, DEGRADED (no routable source)" if degraded else f"{active} leads",
            len(contracts),
            ", ".join(sorted(contracts)),
            ", ".join(eligible),
            extra={"source": active, "symbol": contracts[0] if len(contracts) == 1 else None},
        )


def log_change(change: Change) -> None:
    event = change.event
    contracts = event.contracts
    level = logging.WARNING if event.kind in ("failover", "lost") else logging.INFO
    detected = "-" if event.detected_ms is None else f"{event.detected_ms:.0f} ms"
    log.log(
        level,
        "%s: %s -> %s for %d contract(s) [%s]; reason: %s; cause: %s; detected in %s",
        event.kind,
        event.from_source or "none",
        event.to_source or "none",
        len(contracts),
        ", ".join(contracts),
        event.reason,
        event.cause or "-",
        detected,
        extra={
            "source": event.from_source or event.to_source,
            "symbol": contracts[0] if len(contracts) == 1 else None,
        },
    )


def log_restart(notice: Notice) -> None:
    level = logging.INFO if notice.action in ("ordered", "succeeded") else logging.WARNING
    if notice.action == "needs_operator":
        level = logging.ERROR
    log.log(
        level,
        "restart %s (attempt %d)%s: %s",
        _WORDS[notice.action],
        notice.attempt,
        "" if notice.next_in_s is None else f", next in {notice.next_in_s:g} s",
        notice.reason,
        extra={"source": notice.source},
    )


_WORDS: dict[RestartAction, str] = {
    "ordered": "ordered",
    "refused": "refused by the gateway manager",
    "succeeded": "succeeded",
    "backing_off": "backing off",
    "needs_operator": "withheld: the operator must act",
}
