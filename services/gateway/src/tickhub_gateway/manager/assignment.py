"""Which contracts a source's worker holds subscribed: pure rules for the manager.

Hot failover mode (the default): every worker holds all its configured contracts
plus its canary, and a failover is only a routing change.

Cold failover mode: a worker holds its canary (so the health service can judge it
while it serves nothing) plus the contracts the failover service *assigned* it with
``Command(action="assign")``. An assignment is the complete set, declarative: the
manager keeps the newest one per source and every new worker process of the source
starts with it.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from tickhub_contracts.messages import FailoverMode, SourceConfig


def refusal(config: SourceConfig, vt_symbols: Iterable[str]) -> str | None:
    """Why ``vt_symbols`` cannot be assigned to the source, or None when they can.

    Only the source's configured contracts (and its canary) can be assigned: a
    contract it has no account for would never tick, and the failover service would
    count on it."""
    allowed = set(config.contracts) | ({config.canary} if config.canary else set())
    unknown = sorted(set(vt_symbols) - allowed)
    if not unknown:
        return None
    return (
        f"{config.name} is not configured for {', '.join(unknown)}; "
        f"its contracts: {', '.join(sorted(config.contracts)) or 'none'}"
    )


def holding(config: SourceConfig, mode: FailoverMode, assigned: Iterable[str]) -> frozenset[str]:
    """Everything a worker of ``config`` must hold subscribed now."""
    if mode == "hot":
        return frozenset(config.all_symbols())
    # A contract dropped from the configuration since it was assigned is not held.
    wanted = set(assigned) & set(config.contracts)
    if config.canary:
        wanted.add(config.canary)
    return frozenset(wanted)


def worker_config(
    config: SourceConfig, mode: FailoverMode, assigned: Iterable[str]
) -> SourceConfig:
    """The config a new worker is started with: a worker subscribes its contracts and
    its canary at start, so in cold mode its contracts are the assigned ones."""
    if mode == "hot":
        return config
    contracts = sorted(set(assigned) & set(config.contracts))
    return msgspec.structs.replace(config, contracts=contracts)


def changes(held: Iterable[str], wanted: Iterable[str]) -> tuple[list[str], list[str]]:
    """(to subscribe, to unsubscribe) to go from ``held`` to ``wanted``."""
    held_set, wanted_set = set(held), set(wanted)
    return sorted(wanted_set - held_set), sorted(held_set - wanted_set)
