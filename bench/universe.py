"""The full-market benchmark's contracts, defined as a desk defines them: a universe
(``SHFE, INE, DCE, CZCE, GFEX, CFFEX``, with or without options) resolved against the
simulated market's listings of today's trading day and allocated over the hot sources
by the hub's own rules (:mod:`tickhub_universe`), as the gateway manager does."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from tickhub_contracts.messages import SimSettings, SourceConfig
from tickhub_gateway.sources.sim import listings
from tickhub_markets.trading_days import trading_day
from tickhub_universe.allocate import Allocation, Carrier, allocate
from tickhub_universe.catalog import Catalog
from tickhub_universe.entries import parse_entry
from tickhub_universe.resolve import resolve

MARKET = ("SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX")
"""The whole market: every exchange CTP serves."""

SHARDS = (("SHFE", "INE", "CFFEX"), ("DCE", "CZCE", "GFEX"))
"""Two publisher shards of about equal load (options included)."""


def market(*, options: bool) -> dict[str, str]:
    """The resolved universe: vt_symbol -> product key."""
    day = trading_day(dt.datetime.now(dt.UTC))
    catalog = Catalog(listings.listed(day, options=options))
    entries = [parse_entry(exchange, options=options) for exchange in MARKET]
    return resolve(entries, catalog, day).products


def sources(
    contracts: dict[str, str], copies: int, sim: SimSettings, prefix: str = "bench"
) -> list[SourceConfig]:
    """``copies`` sim sources allocated ``contracts`` with ``copies`` sources each
    (every source has the room for all): each carries the whole universe."""
    names = [f"{prefix}-0-{c}" if copies > 1 else f"{prefix}-0" for c in range(copies)]
    carriers = [
        Carrier(name=name, priority=1 + c, capacity=len(contracts) + 1)
        for c, name in enumerate(names)
    ]
    allocation = allocate(contracts, carriers, None, copies=copies)
    return [
        SourceConfig(
            name=name,
            gateway_type="sim",
            priority=1 + c,
            contracts=list(allocation.carried[name]),
            canary=allocation.carried[name][0],
            sim=sim,
        )
        for c, name in enumerate(names)
    ]


def timings(repeats: int = 5) -> str:
    """How long the gateway's universe work takes on the whole market with options (a
    markdown table): the best of ``repeats`` CPU-second readings of each step."""
    day = trading_day(dt.datetime.now(dt.UTC))
    listed = listings.listed(day, options=True)
    entries = [parse_entry(exchange, options=True) for exchange in MARKET]
    carriers = [Carrier(name=f"account-{n}", priority=n, capacity=30_000) for n in range(3)]

    def best(work: Callable[[], object]) -> float:
        spent = []
        for _ in range(repeats):
            start = time.process_time()
            work()
            spent.append(time.process_time() - start)
        return min(spent) * 1000

    catalog = Catalog(listed)
    resolved = resolve(entries, catalog, day)
    first: Allocation = allocate(resolved.products, carriers, None, copies=2)
    rows = [
        ("build the catalog", best(lambda: Catalog(listed))),
        ("resolve the six exchanges with options", best(lambda: resolve(entries, catalog, day))),
        (
            "allocate over 3 accounts, 2 copies (first time)",
            best(lambda: allocate(resolved.products, carriers, None, copies=2)),
        ),
        (
            "allocate again from the previous allocation (a daily re-spread)",
            best(lambda: allocate(resolved.products, carriers, first.carried, copies=2)),
        ),
        ("search the catalog for 'rb26'", best(lambda: catalog.search("rb26"))),
    ]
    lines = [
        f"The whole market with options: {len(listed):,} instruments, {len(resolved.contracts):,} "
        "resolved contracts (CPU ms, best of 5):\n",
        "| step | ms |",
        "|---|---|",
        *(f"| {what} | {ms:.0f} |" for what, ms in rows),
    ]
    return "\n".join(lines) + "\n"
