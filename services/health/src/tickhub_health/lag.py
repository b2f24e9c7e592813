"""How far each source's copies of the same ticks arrive behind its peers': pure logic.

Every source carrying a contract sends its own copy of each exchange tick. A tick is
named by its key (exchange time, then volume, as the publisher's arbiter orders
them); the first copy to arrive from any source is the reference, and a source's
lag on that tick is its arrival minus the reference's. A source's lag is the rolling
median of its recent samples, so one late packet does not make it DEGRADED.

A sample exists only when at least two sources had the tick: a source alone on a
contract has no peers and no lag (None), not a lag of zero.

Memory is bounded: per contract only the newest keys within ``window_s`` are kept
(at most ``max_keys`` of them), and per source the newest ``samples`` samples. A
copy that arrives after its key was dropped is still measured, against the arrival
of the newest dropped key (a lower bound): a source far behind must not look like
the first to have a tick.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import OrderedDict, deque
from dataclasses import dataclass, field

TickKey = tuple[dt.datetime, float]
"""(exchange time, volume): the same tick from two sources has the same key."""


@dataclass(slots=True)
class _Copies:
    first_at: float
    first_source: str
    sources: set[str]
    first_sampled: bool = False


@dataclass(slots=True)
class _Contract:
    keys: OrderedDict[TickKey, _Copies] = field(default_factory=OrderedDict)
    dropped_upto: TickKey | None = None
    dropped_at: float = 0.0
    """First arrival of the newest dropped key."""


class PeerLag:
    def __init__(self, *, window_s: float = 30.0, samples: int = 21, max_keys: int = 256) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._samples_per_source = samples
        self._contracts: dict[str, _Contract] = {}
        self._samples: dict[str, deque[tuple[float, float]]] = {}
        """source -> (when, lag in seconds), newest last."""

    def observe(self, source: str, vt_symbol: str, key: TickKey, arrived_s: float) -> None:
        """One live copy of a tick of ``vt_symbol`` from ``source``, arrived at
        ``arrived_s`` (seconds, any clock, the same for every call)."""
        contract = self._contracts.get(vt_symbol)
        if contract is None:
            contract = self._contracts[vt_symbol] = _Contract()
        self._drop_old(contract, arrived_s)
        copies = contract.keys.get(key)
        if copies is None:
            if contract.dropped_upto is not None and key <= contract.dropped_upto:
                # Its reference is gone: every peer had it long ago.
                self._add(source, arrived_s, max(0.0, arrived_s - contract.dropped_at))
                return
            contract.keys[key] = _Copies(arrived_s, source, {source})
            return
        if source in copies.sources:
            return  # a repeat from the same source says nothing about its lag
        copies.sources.add(source)
        if not copies.first_sampled:
            copies.first_sampled = True
            self._add(copies.first_source, arrived_s, 0.0)
        self._add(source, arrived_s, max(0.0, arrived_s - copies.first_at))

    def _drop_old(self, contract: _Contract, now_s: float) -> None:
        keys = contract.keys
        horizon = now_s - self.window_s
        while keys:
            oldest_key, oldest = next(iter(keys.items()))
            if len(keys) <= self.max_keys and oldest.first_at >= horizon:
                break
            keys.popitem(last=False)
            if contract.dropped_upto is None or oldest_key > contract.dropped_upto:
                contract.dropped_upto, contract.dropped_at = oldest_key, oldest.first_at

    def _add(self, source: str, at_s: float, lag_s: float) -> None:
        samples = self._samples.get(source)
        if samples is None:
            samples = self._samples[source] = deque(maxlen=self._samples_per_source)
        samples.append((at_s, lag_s))

    def lag_ms(self, source: str, now_s: float) -> float | None:
        """The median lag of ``source`` over its samples of the last ``window_s``
        (None: no sample, e.g. no peer carries its contracts)."""
        samples = self._samples.get(source)
        if not samples:
            return None
        horizon = now_s - self.window_s
        while samples and samples[0][0] < horizon:
            samples.popleft()
        if not samples:
            return None
        return statistics.median(lag for _, lag in samples) * 1000.0

    def reset(self) -> None:
        """Forget everything (after this service was cut off: copies that waited in
        the server or in the workers arrive in a burst and say nothing about lag)."""
        self._samples.clear()
        self._contracts.clear()

    def forget(self, source: str) -> None:
        """Drop a source's samples (a new process starts with a clean slate)."""
        self._samples.pop(source, None)

    def forget_contract(self, vt_symbol: str) -> None:
        self._contracts.pop(vt_symbol, None)
