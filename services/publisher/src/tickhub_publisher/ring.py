"""What a client can get back: each contract's newest ticks as they went out.

The bridge adds every tick it forwards (the payload bytes it sent, with its seq) to
its contract's :class:`Ring`; the recovery endpoint (:mod:`.recovery`) answers "the
ticks of rb2605.SHFE after seq 17" from it. Two bounds keep memory flat whatever the
market does:

- ``per_contract``: a contract keeps its newest ticks only (a busy contract cannot
  take the room of the others);
- ``total``: all contracts together keep at most this many; past it the oldest tick
  of the whole hub goes first, whichever contract it belongs to.

Both drop the oldest first, so a ring always holds an unbroken run of seqs ending at
the contract's last: a request that reaches before it is "too old", never answered
with a hole. Pure and single-threaded (the event loop's), like the arbiter.
"""

from __future__ import annotations

from collections import deque
from itertools import islice


class Ring:
    """One contract's newest ticks: payloads for the seqs ``first`` .. ``seq``."""

    __slots__ = ("owed", "payloads", "seq", "vt_symbol")

    def __init__(self, vt_symbol: str) -> None:
        self.vt_symbol = vt_symbol
        self.payloads: deque[bytes] = deque()
        self.seq = 0
        """The seq of the newest tick added (the contract's last seq this epoch)."""
        self.owed = 0
        """Ticks dropped by the per-contract bound that the hub-wide order still
        lists: that many of its entries for this ring are already gone."""

    @property
    def first(self) -> int:
        """The oldest seq held (``seq + 1`` when none is)."""
        return self.seq - len(self.payloads) + 1


class TooOld(Exception):
    """The ring no longer holds the tick after the seq asked for."""


class Rings:
    """Every contract's ring, under the two bounds."""

    def __init__(self, per_contract: int, total: int) -> None:
        self.per_contract = per_contract
        self.total = total
        self._rings: dict[str, Ring] = {}
        self._order: deque[Ring] = deque()
        """One entry per tick added, oldest first: whose tick it is."""

    def of(self, vt_symbol: str) -> Ring:
        """The contract's ring, made on first use (the bridge keeps it on its feeds)."""
        ring = self._rings.get(vt_symbol)
        if ring is None:
            ring = self._rings[vt_symbol] = Ring(vt_symbol)
        return ring

    def get(self, vt_symbol: str) -> Ring | None:
        return self._rings.get(vt_symbol)

    def add(self, ring: Ring, seq: int, payload: bytes | bytearray) -> None:
        """The tick ``seq`` of ``ring``'s contract went out as ``payload`` (copied: the
        bridge reuses its buffer).

        Seqs come one by one (the lane gives them out so); one that does not follow
        starts the ring again rather than leave a hole in it.
        """
        payloads = ring.payloads
        if seq != ring.seq + 1:
            ring.owed += len(payloads)  # their entries in the order are stale now
            payloads.clear()
        ring.seq = seq
        if self.per_contract == 0 or self.total == 0:
            return
        payloads.append(bytes(payload))
        order = self._order
        order.append(ring)
        if len(payloads) > self.per_contract:
            payloads.popleft()
            ring.owed += 1
        while len(order) > self.total:
            oldest = order.popleft()
            if oldest.owed:
                oldest.owed -= 1
            else:
                oldest.payloads.popleft()

    def since(self, vt_symbol: str, seq: int, limit: int) -> tuple[list[tuple[int, bytes]], bool]:
        """The ticks after ``seq`` (at most ``limit``) and whether that was all of them.

        Raises :class:`TooOld` when the ring no longer reaches ``seq + 1``.
        """
        ring = self._rings.get(vt_symbol)
        last = ring.seq if ring is not None else 0
        if seq >= last:
            return [], True  # nothing newer (a seq ahead of ours is the client's affair)
        assert ring is not None
        first = ring.first
        if seq + 1 < first or seq < 0:
            raise TooOld(f"{vt_symbol}: ticks {first}..{last} are held, not {seq + 1}")
        start = seq + 1 - first
        end = min(len(ring.payloads), start + limit)
        found = [(first + i, p) for i, p in enumerate(islice(ring.payloads, start, end), start)]
        return found, end == len(ring.payloads)

    def stored(self) -> int:
        """Ticks held in all."""
        return sum(len(ring.payloads) for ring in self._rings.values())

    def __len__(self) -> int:
        return len(self._rings)
