"""What the api knows of the running hub, kept current from the bus by :mod:`.feed`.

* the GatewayManager's newest :class:`GatewayStatus` of every source;
* the health service's newest :class:`SourceHealth` of every source (its bucket,
  read whole after every reconnect, and its subject, which repeats the verdict);
* the routing table (contract -> :class:`ContractRoute`) of the ``tickhub_routing``
  bucket;
* the publisher's newest :class:`PublisherStats` (what of each source's ticks it did
  not send, and why), one per shard when the publisher is split by exchange, added
  up;
* the latest failover and restart events and log records, in bounded rings, for the
  snapshot a new ``/ws`` client starts from;
* every product's main contract (the ``tickhub_main_contracts`` bucket and its
  subject), by alias.

Pure state: nothing here talks to NATS or the database. ``take_*`` return whether
the board changed, so the feed forwards news only (the bucket and the subject often
carry the same verdict).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from tickhub_contracts.messages import (
    ContractRoute,
    FailoverEvent,
    GatewayStatus,
    LogRecord,
    MainContract,
    PublisherStats,
    RestartEvent,
    SourceHealth,
    TickDrops,
)

FORGET_AFTER = timedelta(minutes=10)
"""A source silent this long (removed, renamed) is dropped from memory."""
KEEP_SOURCES = 64
"""Beyond this many sources, silent ones are looked for and forgotten."""
RECENT_EVENTS = 50
"""Failover and restart events kept for a snapshot (docs/ws.md)."""


class _Dated(Protocol):
    @property
    def at(self) -> datetime: ...


D = TypeVar("D", bound=_Dated)
K = TypeVar("K")


def _newer(held: D | None, new: D) -> bool:
    """``new`` replaces ``held``: not older, and not the same message again."""
    if new.at.tzinfo is None:  # cannot be compared with the others
        return False
    return held is None or (new.at >= held.at and new != held)


def _forget_silent(table: dict[K, D], now: datetime) -> None:
    for name, old in list(table.items()):
        if now - old.at > FORGET_AFTER:
            del table[name]


def _keep_newest(table: dict[str, D], source: str, new: D) -> bool:
    """Hold ``new`` for ``source`` unless the held one is newer; True when kept."""
    held = table.get(source)
    if not _newer(held, new):
        return False
    table[source] = new
    if held is None and len(table) > KEEP_SOURCES:
        _forget_silent(table, new.at)
    return True


class LiveBoard:
    def __init__(self, recent_logs: int = 500, recent_events: int = RECENT_EVENTS) -> None:
        self._statuses: dict[str, GatewayStatus] = {}
        self._health: dict[str, SourceHealth] = {}
        self._routing: dict[str, ContractRoute] = {}
        self._publishers: dict[tuple[str, ...], PublisherStats] = {}
        """Shard (its exchanges; () for a publisher of every exchange) -> its newest."""
        self.failovers: deque[FailoverEvent] = deque(maxlen=recent_events)
        self.restarts: deque[RestartEvent] = deque(maxlen=recent_events)
        self.logs: deque[LogRecord] = deque(maxlen=recent_logs)
        self._mains: dict[str, MainContract] = {}
        """Alias (rb888.SHFE) -> the publisher's newest decision."""

    # --- gateway statuses ---------------------------------------------------------------

    def status(self, source: str) -> GatewayStatus | None:
        return self._statuses.get(source)

    @property
    def statuses(self) -> Mapping[str, GatewayStatus]:
        return self._statuses

    def take(self, status: GatewayStatus) -> bool:
        """Keep ``status`` unless a newer one of its source is held (a pool reply can
        arrive after a newer status message)."""
        return _keep_newest(self._statuses, status.source, status)

    # --- health verdicts ----------------------------------------------------------------

    def health(self, source: str) -> SourceHealth | None:
        return self._health.get(source)

    @property
    def healths(self) -> Mapping[str, SourceHealth]:
        return self._health

    def take_health(self, verdict: SourceHealth) -> bool:
        return _keep_newest(self._health, verdict.source, verdict)

    def drop_health(self, source: str) -> bool:
        """The bucket no longer holds a verdict for ``source`` (it was removed)."""
        return self._health.pop(source, None) is not None

    # --- routing ------------------------------------------------------------------------

    @property
    def active_sources(self) -> dict[str, str]:
        """vt_symbol -> the source whose ticks go out, as the routing bucket holds it."""
        return {vt: route.source for vt, route in self._routing.items()}

    @property
    def route_table(self) -> Mapping[str, ContractRoute]:
        return self._routing

    def set_route(self, vt_symbol: str, route: ContractRoute | None) -> bool:
        if route is None:
            return self._routing.pop(vt_symbol, None) is not None
        if self._routing.get(vt_symbol) == route:
            return False
        self._routing[vt_symbol] = route
        return True

    def active_symbols(self, source: str) -> list[str]:
        return sorted(vt for vt, route in self._routing.items() if route.source == source)

    # --- main contracts -----------------------------------------------------------------

    @property
    def main_contracts(self) -> Mapping[str, MainContract]:
        """Alias (``rb888.SHFE``) -> the contract it names, as last decided."""
        return self._mains

    def take_main(self, main: MainContract) -> bool:
        """Keep ``main`` unless the held decision for its alias is newer or the same."""
        held = self._mains.get(main.alias)
        if main.decided_at.tzinfo is None or held == main:
            return False
        if held is not None and (main.trading_day, main.decided_at) < (
            held.trading_day,
            held.decided_at,
        ):
            return False
        self._mains[main.alias] = main
        return True

    def drop_main(self, alias: str) -> bool:
        return self._mains.pop(alias, None) is not None

    # --- the publisher's counts ---------------------------------------------------------

    @property
    def publisher(self) -> PublisherStats | None:
        """The publisher's newest counts, every shard's added up; None: it has said
        nothing since the api started."""
        return add_shards(list(self._publishers.values()))

    def take_publisher(self, stats: PublisherStats, stale_s: float = float("inf")) -> bool:
        """Keep ``stats`` unless a newer one of its shard is held. True when what a
        client is shown changed: the first word, other drop counts, a restarted
        publisher (its counts start again), or the first word after a silence longer
        than ``stale_s`` (the views withheld the counts meanwhile). The same counts
        again, every few seconds, are no news."""
        shard = tuple(sorted(stats.exchanges))
        held = self._publishers.get(shard)
        if not _newer(held, stats):
            return False
        self._publishers[shard] = stats
        # A shard that went away (the split changed) must not hold the sum back.
        _forget_silent(self._publishers, stats.at)
        return (
            held is None
            or held.sources != stats.sources
            or held.started_at != stats.started_at
            or (stats.at - held.at).total_seconds() > stale_s
        )


def add_shards(shards: list[PublisherStats]) -> PublisherStats | None:
    """Every shard's counts as one: drops and forwarded added up, dated by the oldest
    shard's word (so a silent shard makes the sum stale rather than quietly short)."""
    if len(shards) <= 1:
        return shards[0] if shards else None
    sources: dict[str, TickDrops] = {}
    for stats in shards:
        for source, drops in stats.sources.items():
            total = sources.setdefault(source, TickDrops())
            for name in drops.__struct_fields__:
                setattr(total, name, getattr(total, name) + getattr(drops, name))
    return PublisherStats(
        at=min(s.at for s in shards),
        started_at=max(s.started_at for s in shards),
        exchanges=sorted({e for s in shards for e in s.exchanges}),
        forwarded=sum(s.forwarded for s in shards),
        sources=sources,
    )
