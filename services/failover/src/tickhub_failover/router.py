"""Which sources serve each contract, from the health verdicts: the failover rules.

Pure: no clock, no bus. :class:`Router` is fed the newest :class:`SourceHealth` of
every source and "now", keeps the routing table it decided last, and answers with the
new table and the :class:`FailoverEvent` s that describe the difference.

Per contract (design of issue 4):

* The active source is the highest-priority (lowest number, ties by name) routable
  source configured for the contract. Moving *away* from a source that is no longer
  routable is immediate, to the best routable source there is, even one still in its
  hold (a hold is cut short when the active fails).
* Moving from a routable active to a better source (a failback) waits until that
  source has been routable for ``hold_s`` without a break, so a flapping source never
  becomes the active source again.
* No routable source: the best DEGRADED one serves, marked ``degraded``; none: the
  contract has no route.
* Hot mode: eligible = every routable source carrying the contract, best first, hold
  or not: while a source is routable its copies of the ticks are as good as any (the
  publisher forwards only the first copy of each tick, never an older one), and a
  backup left out would lose the ticks only it received when the active fails.
  Cold mode: eligible = [active].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tickhub_contracts.messages import (
    ROUTABLE_STATES,
    FailoverEvent,
    FailoverKind,
    FailoverMode,
    SourceHealth,
)


@dataclass(frozen=True, slots=True)
class Choice:
    """The router's decision for one contract: its active source, the eligible ones
    (best first) and whether it is served degraded. Not the routing entry itself:
    :mod:`.decisions` makes that (:class:`ContractRoute`, with its bookkeeping)."""

    active: str
    eligible: tuple[str, ...]
    degraded: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """A failover event and the verdict it answers (``verdict_at``: when the health
    service judged; the app measures ``switched_ms`` from it once the routing is
    written)."""

    event: FailoverEvent
    verdict_at: dt.datetime | None = None


def rank(health: SourceHealth) -> tuple[int, str]:
    """Sort key: preferred first (lowest priority number), ties by name."""
    return (health.priority, health.source)


def routable(health: SourceHealth | None) -> bool:
    return health is not None and health.state in ROUTABLE_STATES


_KIND_ORDER: dict[FailoverKind, int] = {"failover": 0, "lost": 1, "failback": 2, "restored": 3}


@dataclass
class Router:
    """The routing table and what it needs to remember between two verdicts."""

    mode: FailoverMode
    hold_s: float
    routes: dict[str, Choice] = field(default_factory=dict)
    """vt_symbol -> choice: the table decided last (seeded from the bucket at start)."""
    _routable_since: dict[str, dt.datetime | None] = field(default_factory=dict)
    """source -> start of its current unbroken routable period; None: not routable now.
    A source never seen has no entry."""
    _bad_at: dict[str, dt.datetime] = field(default_factory=dict)
    """source -> the newest non-routable verdict seen (a new routable period cannot
    have started before it)."""

    def update(self, health: Mapping[str, SourceHealth], now: dt.datetime) -> list[Change]:
        """Take the newest verdict of every source (keyed by source) and decide the
        table again; returns the events, in a deterministic order."""
        self._track(health, now)
        table = compute_routes(
            health, self.routes, self._routable_since, self.mode, self.hold_s, now
        )
        changes = describe(self.routes, table, health, self.mode, self.hold_s, now)
        self.routes = table
        return changes

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """The earliest moment a hold ends (the table may change then without news)."""
        hold = dt.timedelta(seconds=self.hold_s)
        ends = [start + hold for start in self._routable_since.values() if start is not None]
        future = [end for end in ends if end > now]
        return min(future, default=None)

    def _track(self, health: Mapping[str, SourceHealth], now: dt.datetime) -> None:
        """Follow each source's unbroken routable periods."""
        for name in list(self._routable_since):
            if name not in health:
                del self._routable_since[name]
                self._bad_at.pop(name, None)
        for name, verdict in health.items():
            since = min(verdict.since, now)
            if not routable(verdict):
                self._routable_since[name] = None
                bad_at = min(verdict.at, now)
                self._bad_at[name] = max(self._bad_at.get(name, bad_at), bad_at)
                continue
            if name not in self._routable_since:
                # First sight (a start of this service): trust the health service's
                # account of how long it has been in this state.
                self._routable_since[name] = since
                continue
            start = self._routable_since[name]
            if start is None:
                last_bad = self._bad_at.get(name)
                self._routable_since[name] = since if last_bad is None else max(since, last_bad)
            elif (
                verdict.previous is not None
                and verdict.previous not in ROUTABLE_STATES
                and since > start
            ):
                # It left the routable states and came back between two verdicts we
                # saw: the verdict's own `previous` tells. A new period, a new hold.
                self._routable_since[name] = since


def carriers(health: Mapping[str, SourceHealth]) -> dict[str, list[SourceHealth]]:
    """vt_symbol -> the verdicts of every source configured for it, best first."""
    found: dict[str, list[SourceHealth]] = {}
    for verdict in health.values():
        for vt_symbol in set(verdict.contracts):
            found.setdefault(vt_symbol, []).append(verdict)
    for verdicts in found.values():
        verdicts.sort(key=rank)
    return found


def compute_routes(
    health: Mapping[str, SourceHealth],
    previous: Mapping[str, Choice],
    routable_since: Mapping[str, dt.datetime | None],
    mode: FailoverMode,
    hold_s: float,
    now: dt.datetime,
) -> dict[str, Choice]:
    """The router's table (vt_symbol -> :class:`Choice`), sorted by vt_symbol."""
    hold = dt.timedelta(seconds=hold_s)

    def held_long_enough(verdict: SourceHealth) -> bool:
        if verdict.previous == "STARTING":
            # A process that has just started and never failed since (the hub's own
            # start, an operator's start) leads at once: the hold is for a source
            # that failed and came back, which may fail again.
            return True
        start = routable_since.get(verdict.source)
        return start is not None and start + hold <= now

    table: dict[str, Choice] = {}
    for vt_symbol, verdicts in sorted(carriers(health).items()):
        prev = previous.get(vt_symbol)
        ok = [v for v in verdicts if routable(v)]
        if ok:
            current = next((v for v in ok if prev is not None and v.source == prev.active), None)
            if current is None or (prev is not None and prev.degraded):
                # First routing, or the active failed: the best routable source now.
                active = ok[0]
            else:
                better = [v for v in ok if rank(v) < rank(current) and held_long_enough(v)]
                active = better[0] if better else current
            if mode == "cold":
                eligible: tuple[str, ...] = (active.source,)
            else:
                eligible = tuple(v.source for v in ok)  # `ok` is best first
            table[vt_symbol] = Choice(active.source, eligible)
            continue
        degraded = [v for v in verdicts if v.state == "DEGRADED"]
        if degraded:
            # Stay with the degraded source already serving, if it still is: switching
            # between two degraded sources gains nothing and costs an event.
            keep = next((v for v in degraded if prev is not None and v.source == prev.active), None)
            chosen = keep or degraded[0]
            table[vt_symbol] = Choice(chosen.source, (chosen.source,), degraded=True)
    return table


def describe(
    old: Mapping[str, Choice],
    new: Mapping[str, Choice],
    health: Mapping[str, SourceHealth],
    mode: FailoverMode,
    hold_s: float,
    now: dt.datetime,
) -> list[Change]:
    """The events from ``old`` to ``new``: one per (kind, from, to) with its contracts."""
    groups: dict[tuple[FailoverKind, str | None, str | None], list[str]] = {}
    for vt_symbol in sorted(old.keys() | new.keys()):
        before, after = old.get(vt_symbol), new.get(vt_symbol)
        kind: FailoverKind
        if after is None:
            if before is None:
                continue
            kind, src, dst = "lost", before.active, None
        elif before is None:
            kind, src, dst = "restored", None, after.active
        elif before.active == after.active:
            continue
        else:
            src, dst = before.active, after.active
            was, to = health.get(src), health.get(dst)
            if before.degraded and not after.degraded:
                kind = "restored"
            elif (
                was is not None
                and to is not None
                and routable(was)
                and vt_symbol in was.contracts
                and rank(to) < rank(was)
            ):
                kind = "failback"
            else:
                kind = "failover"
        groups.setdefault((kind, src, dst), []).append(vt_symbol)
    changes = [
        _change(kind, src, dst, contracts, health, mode, hold_s, now)
        for (kind, src, dst), contracts in groups.items()
    ]
    changes.sort(
        key=lambda c: (
            _KIND_ORDER[c.event.kind],
            c.event.from_source or "",
            c.event.to_source or "",
        )
    )
    return changes


def _change(
    kind: FailoverKind,
    src: str | None,
    dst: str | None,
    contracts: Iterable[str],
    health: Mapping[str, SourceHealth],
    mode: FailoverMode,
    hold_s: float,
    now: dt.datetime,
) -> Change:
    was = health.get(src) if src else None
    to = health.get(dst) if dst else None
    cause = None
    detected_ms = None
    verdict_at = None
    if kind in ("failover", "lost"):
        # The event answers the failed source's verdict: say why it failed.
        if was is None:
            reason = f"{src} is no longer judged by the health service"
        elif not routable(was):
            reason = f"{src} {was.state}: {was.reason}"
            cause, detected_ms, verdict_at = was.cause, was.detected_ms, was.at
        else:
            reason = (
                f"{src} is {was.state} but no longer the choice for these contracts "
                "(its contracts or priority changed)"
            )
            cause, verdict_at = was.cause, was.at
        if kind == "lost":
            reason += "; no other source is routable or degraded"
        elif to is not None and not routable(to):
            reason += f"; {dst} is {to.state}, the best left"
    elif kind == "failback":
        assert to is not None
        held = (now - min(to.since, now)).total_seconds()
        reason = f"{dst} {to.state} again, held {hold_s:g} s (in this state for {held:.1f} s)"
        cause, verdict_at = to.cause, to.at
    else:  # restored
        if to is None:
            reason = f"{dst} serves again"
        else:
            reason = f"{dst} {to.state}: {to.reason}" if to.reason else f"{dst} {to.state}"
            cause, verdict_at = to.cause, to.at
        if src is not None:
            reason = f"{reason} (was served by {src}, degraded)"
    event = FailoverEvent(
        at=now,
        kind=kind,
        mode=mode,
        from_source=src,
        to_source=dst,
        contracts=sorted(contracts),
        reason=reason,
        cause=cause,
        detected_ms=detected_ms,
    )
    return Change(event, verdict_at)
