"""What a ZeroMQ client saw across a fault, judged against the sims' known stream.

The sim's ticks are a pure function of (contract, slot, seed)
(``tickhub_gateway.sources.sim.feed``): with one phase group a tick's exchange time
is its slot's start, so every slot between two instants is a tick the client must
get once, in order, with the content the sim's function gives. That turns "did the
failover lose anything" into set arithmetic instead of a heuristic:

- **lost**: an expected slot never received (slots inside an *excused* interval,
  where no healthy source was producing them, e.g. cold mode's switch or a bus
  outage, are left out and reported as the gap instead);
- **duplicated**: a tick key (exchange time, volume) received twice;
- **out of order**: a tick whose key is below one already received for the contract
  (a stale tick re-published after an outage shows up here);
- **mismatched**: a tick whose volume or price is not the sim's for its slot;
- **longest gap**: the longest wait, by arrival time, between consecutive ticks of a
  contract (window edges included, so a stream that stops counts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tickhub_gateway.sources.sim.feed import SimFeed

NS = 1_000_000_000
LISTED = 20
"""How many lost slots a report names (the count is always complete)."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """One tick as the client took it off the ZeroMQ socket."""

    vt_symbol: str
    seq: int | None
    exchange_ns: int
    """Exchange time, ns since the epoch (exact: the sim stamps whole microseconds)."""
    volume: float
    last_price: float | None
    source: str
    arrived_ns: int
    """The client's wall clock at receipt (same machine as the sims)."""
    live: bool = True
    bid_volume_1: float = 0.0
    ask_volume_1: float = 0.0
    """With volume: what tells apart two ticks of one whole second (CZCE)."""

    @property
    def key(self) -> tuple[int, float]:
        return (self.exchange_ns, self.volume)


@dataclass
class ContractReport:
    vt_symbol: str
    expected: int = 0
    received: int = 0
    lost: int = 0
    lost_slots: list[int] = field(default_factory=list)
    duplicated: int = 0
    out_of_order: int = 0
    mismatched: int = 0
    seq_holes: int = 0
    """Breaks in the publisher's per-contract seq (a hole on the ZeroMQ side)."""
    longest_gap_s: float = 0.0
    gap_from_ns: int = 0
    """Arrival time at which the longest gap began."""
    max_latency_s: float = 0.0
    """Largest arrival minus exchange time in the window."""
    sources: Counter[str] = field(default_factory=Counter)


@dataclass
class StreamReport:
    contracts: dict[str, ContractReport]
    start_ns: int
    end_ns: int

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.contracts.values())

    @property
    def received(self) -> int:
        return sum(c.received for c in self.contracts.values())

    @property
    def lost(self) -> int:
        return sum(c.lost for c in self.contracts.values())

    @property
    def duplicated(self) -> int:
        return sum(c.duplicated for c in self.contracts.values())

    @property
    def out_of_order(self) -> int:
        return sum(c.out_of_order for c in self.contracts.values())

    @property
    def mismatched(self) -> int:
        return sum(c.mismatched for c in self.contracts.values())

    @property
    def seq_holes(self) -> int:
        return sum(c.seq_holes for c in self.contracts.values())

    @property
    def longest_gap_s(self) -> float:
        return max((c.longest_gap_s for c in self.contracts.values()), default=0.0)

    @property
    def max_latency_s(self) -> float:
        return max((c.max_latency_s for c in self.contracts.values()), default=0.0)

    @property
    def sources(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for c in self.contracts.values():
            total.update(c.sources)
        return total

    def clean(self) -> bool:
        """Nothing lost, duplicated, reordered or wrong."""
        return not (self.lost or self.duplicated or self.out_of_order or self.mismatched)

    def summary(self) -> str:
        """One line per contract, for an assertion message or a log."""
        lines = [
            f"window {(self.end_ns - self.start_ns) / NS:.1f} s: expected {self.expected}, "
            f"received {self.received}, lost {self.lost}, duplicated {self.duplicated}, "
            f"out of order {self.out_of_order}, mismatched {self.mismatched}, "
            f"seq holes {self.seq_holes}, longest gap {self.longest_gap_s:.3f} s, "
            f"max latency {self.max_latency_s:.3f} s"
        ]
        for c in self.contracts.values():
            lines.append(
                f"  {c.vt_symbol}: expected {c.expected} received {c.received} lost {c.lost}"
                f"{' ' + str(c.lost_slots) if c.lost_slots else ''} dup {c.duplicated} "
                f"ooo {c.out_of_order} mismatched {c.mismatched} gap {c.longest_gap_s:.3f} s "
                f"sources {dict(c.sources)}"
            )
        return "\n".join(lines)


class SimStream:
    """The stream every sim of one (seed, rate) prints, for the contracts given."""

    def __init__(self, contracts: Sequence[str], seed: int, ticks_per_second: float) -> None:
        self.contracts = list(contracts)
        self.feeds = {c: SimFeed(c, seed, ticks_per_second) for c in contracts}
        self.period_ns = next(iter(self.feeds.values())).period_ns if contracts else 0

    def slot(self, exchange_ns: int) -> int:
        return exchange_ns // self.period_ns

    def slots(
        self, start_ns: int, end_ns: int, excused: Iterable[tuple[int, int]] = ()
    ) -> list[int]:
        """Slots whose exchange time lies in [start_ns, end_ns), minus excused intervals."""
        period = self.period_ns
        first = -(-start_ns // period)
        last = -(-end_ns // period)  # exclusive
        holes = list(excused)
        return [s for s in range(first, last) if not any(a <= s * period < b for a, b in holes)]

    def matches(self, arrival: Arrival) -> bool:
        """Whether the tick is the sim's own for its slot (volume and last price)."""
        feed = self.feeds.get(arrival.vt_symbol)
        if feed is None or arrival.exchange_ns % self.period_ns:
            return False
        tick = feed.tick(self.slot(arrival.exchange_ns))
        return tick.volume == arrival.volume and tick.last_price == arrival.last_price


def analyse(
    arrivals: Sequence[Arrival],
    stream: SimStream,
    start_ns: int,
    end_ns: int,
    *,
    settle_s: float = 1.0,
    excused: Mapping[str, Sequence[tuple[int, int]]] | Sequence[tuple[int, int]] = (),
) -> StreamReport:
    """Judge what arrived between ``start_ns`` and ``end_ns`` (wall clock, ns).

    Expected slots are those with exchange time in [start, end - settle): the last
    ``settle_s`` may still be in flight at ``end``. Duplicates and reordering are
    counted over every arrival from ``start`` on (a stale tick can carry any
    exchange time); the gap over arrival times in [start, end]. ``excused`` is a list
    of exchange-time intervals (for every contract) or one list per contract.
    """
    reports: dict[str, ContractReport] = {}
    by_contract: dict[str, list[Arrival]] = {c: [] for c in stream.contracts}
    for arrival in arrivals:
        if arrival.vt_symbol in by_contract:
            by_contract[arrival.vt_symbol].append(arrival)
    expect_end = end_ns - round(settle_s * NS)
    for vt_symbol, ticks in by_contract.items():
        holes = excused.get(vt_symbol, ()) if isinstance(excused, Mapping) else excused
        report = reports[vt_symbol] = ContractReport(vt_symbol)
        expected = stream.slots(start_ns, expect_end, holes)
        report.expected = len(expected)
        received_slots = {stream.slot(t.exchange_ns) for t in ticks}
        missing = [s for s in expected if s not in received_slots]
        report.lost = len(missing)
        report.lost_slots = missing[:LISTED]

        seen: set[tuple[int, float]] = set()
        newest: tuple[int, float] | None = None
        previous_seq: int | None = None
        previous_at = start_ns
        for tick in ticks:
            if tick.arrived_ns < start_ns:
                # Before the window: only sets what "already received" means.
                seen.add(tick.key)
                newest = tick.key if newest is None else max(newest, tick.key)
                previous_seq = tick.seq
                continue
            if tick.arrived_ns > end_ns:
                break
            report.received += 1
            report.sources[tick.source] += 1
            if tick.key in seen:
                report.duplicated += 1
            elif newest is not None and tick.key < newest:
                report.out_of_order += 1
            seen.add(tick.key)
            newest = tick.key if newest is None else max(newest, tick.key)
            if not stream.matches(tick):
                report.mismatched += 1
            if previous_seq is not None and tick.seq is not None and tick.seq != previous_seq + 1:
                report.seq_holes += 1
            previous_seq = tick.seq
            gap = tick.arrived_ns - previous_at
            if gap > report.longest_gap_s * NS:
                report.longest_gap_s = gap / NS
                report.gap_from_ns = previous_at
            previous_at = tick.arrived_ns
            report.max_latency_s = max(
                report.max_latency_s, (tick.arrived_ns - tick.exchange_ns) / NS
            )
        tail = end_ns - previous_at
        if tail > report.longest_gap_s * NS:
            report.longest_gap_s = tail / NS
            report.gap_from_ns = previous_at
    return StreamReport(reports, start_ns, end_ns)
