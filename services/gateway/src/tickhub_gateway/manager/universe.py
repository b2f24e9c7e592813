"""The universe over the pool: which contracts each account's source carries. Pure.

The accounts are read as they are stored (:class:`AccountSource`); an account with
its own contract list carries exactly that list (an explicit override), every other
enabled account takes part in the allocation of the resolved universe
(:func:`tickhub_universe.allocate.allocate`, docs/universe.md). The result is the
same accounts with their ``contracts`` filled in, ready for
:meth:`GatewayManager.apply`, which subscribes and unsubscribes the differences in the
running workers without restarting them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import msgspec

from tickhub_accounts.source_config import AccountSource
from tickhub_universe.allocate import Allocation, Carrier, allocate
from tickhub_universe.catalog import Catalog
from tickhub_universe.entries import Entry
from tickhub_universe.resolve import Resolved, resolve


@dataclass(frozen=True)
class Spread:
    """The pool with its contracts, and how it came about (for logs and the api)."""

    sources: list[AccountSource]
    resolved: Resolved
    allocation: Allocation
    carried: dict[int, list[str]]
    """Account id -> what it carries, as the allocation table stores it."""


def carrier_of(source: AccountSource) -> Carrier:
    config = source.config
    return Carrier(
        name=config.name,
        priority=config.priority,
        capacity=source.capacity,
        excluded=frozenset(source.excluded),
        pinned=tuple(config.contracts) if config.contracts else None,
        canary=config.canary,
    )


def spread(
    sources: Sequence[AccountSource],
    entries: Sequence[Entry],
    catalog: Catalog,
    trading_day: date,
    previous: Mapping[int, Sequence[str]],
    *,
    copies: int,
) -> Spread:
    """Resolve ``entries`` on ``trading_day`` and allocate them over the enabled
    accounts, keeping what each carried before (``previous``, by account id) where
    the rules allow."""
    resolved = resolve(entries, catalog, trading_day)
    running = [source for source in sources if source.config.enabled]
    names = {source.account_id: source.config.name for source in sources}
    before = {
        names[account]: contracts for account, contracts in previous.items() if account in names
    }
    allocation = allocate(
        resolved.products, [carrier_of(source) for source in running], before, copies=copies
    )
    spread_sources = []
    carried: dict[int, list[str]] = {}
    for source in sources:
        contracts = list(allocation.carried.get(source.config.name, ()))
        if source.config.contracts:
            spread_sources.append(source)  # an explicit list: as the operator wrote it
        else:
            config = msgspec.structs.replace(source.config, contracts=contracts)
            spread_sources.append(source._replace(config=config))
        if source.config.enabled:
            carried[source.account_id] = contracts
    return Spread(spread_sources, resolved, allocation, carried)
