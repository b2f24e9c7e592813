"""Per-contract ordering: which ticks of the selected source go out, and their seq.

CTP ticks carry no sequence number, so the order key is what the exchange gives:
(exchange datetime, cumulative volume). Volume breaks ties between ticks that share
a timestamp (CZCE sends whole seconds) and never decreases within a trading day.

A tick is forwarded only if its key is strictly greater than the key of the last
tick forwarded for its contract. That one rule drops exact repeats (the same tick
from a second source, or a replay), late ticks (out of order), and everything a new
source resends after a failover. Forwarded ticks are stamped with the contract's
next ``seq`` (1, 2, 3 ... with no holes), so a client that sees a hole knows it
missed a message on the ZeroMQ side, not that the exchange skipped one.

Pure and single-threaded: the bridge calls it from the event loop only.
"""

from __future__ import annotations

import datetime as dt

from tickhub_contracts.messages import Tick

# What :meth:`Lane.offer` returns when it does not forward; a forwarded tick gets its
# seq instead, which is always >= 1. Plain ints: the hot path compares them per tick.
DUPLICATE = 0
"""Same key as the last forwarded tick of the contract."""
STALE = -1
"""Older key than the last forwarded tick (late, out of order, or an older repeat)."""
NOT_LIVE = -2
"""A snapshot the front replayed (``live=False``): never forwarded."""


class Lane:
    """One contract's state: the last forwarded key and the last seq given out."""

    __slots__ = ("last_datetime", "last_volume", "seq", "vt_symbol")

    def __init__(self, vt_symbol: str) -> None:
        self.vt_symbol = vt_symbol
        self.last_datetime: dt.datetime | None = None
        self.last_volume = 0.0
        self.seq = 0

    def offer(self, tick: Tick) -> int:
        """Forward ``tick`` (stamp its ``seq`` and return it) or say why not.

        ``tick.datetime`` must be timezone-aware (the bridge refuses naive ones):
        Python cannot order an aware and a naive datetime.
        """
        if not tick.live:
            return NOT_LIVE
        at = tick.datetime
        last = self.last_datetime
        if last is not None:
            if at < last:
                return STALE
            if at == last:
                volume = tick.volume
                if volume < self.last_volume:
                    return STALE
                if volume == self.last_volume:
                    return DUPLICATE
        self.last_datetime = at
        self.last_volume = tick.volume
        seq = self.seq + 1
        self.seq = seq
        # In place: the tick is ours (just decoded) and a copy would cost an allocation.
        tick.seq = seq
        return seq


class Arbiter:
    """Every contract's :class:`Lane`, made on first use."""

    def __init__(self) -> None:
        self._lanes: dict[str, Lane] = {}

    def lane(self, vt_symbol: str) -> Lane:
        lane = self._lanes.get(vt_symbol)
        if lane is None:
            lane = self._lanes[vt_symbol] = Lane(vt_symbol)
        return lane

    def offer(self, tick: Tick) -> int:
        """:meth:`Lane.offer` on the tick's own contract (the bridge keeps lanes itself)."""
        return self.lane(tick.vt_symbol).offer(tick)

    def __len__(self) -> int:
        return len(self._lanes)
