"""What the publisher counts, and the line it logs about them every few seconds."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields


@dataclass(slots=True)
class Counters:
    """Totals since the publisher started. Plain ints bumped on the tick path."""

    received: int = 0
    """Ticks in the batches taken from the ticks subscription (every source)."""
    forwarded: int = 0
    """Sent on the ZeroMQ PUB socket."""
    duplicates: int = 0
    """Copies of a tick already sent (same exchange time and content)."""
    stale: int = 0
    """Older than what was sent: an earlier time, or less volume the same trading day."""
    not_live: int = 0
    """Replayed snapshots (``live=False``)."""
    out_of_session: int = 0
    """Stamped outside every session of their product (``in_session=False``)."""
    future: int = 0
    """Dated further ahead of the clock than ``TICKHUB_FUTURE_TICK_S``."""
    not_eligible: int = 0
    """From a source the routing does not make eligible for the contract (or the
    contract has no route): kept as that source's latest, never judged nor forwarded."""
    malformed: int = 0
    """Batches undecodable or of another type, and ticks disagreeing with their
    subject (source, exchange) or with a symbol that is no subject token."""
    replayed: int = 0
    """Of ``forwarded``: a source's latest tick, sent at the moment it became eligible."""
    slow_consumer: int = 0
    """Batches dropped by nats-py because the subscription's pending limits were full."""
    zmq_errors: int = 0
    """ZeroMQ refused a send (never expected on a PUB socket: it drops per subscriber)."""
    aliased: int = 0
    """Of ``forwarded``: ticks of a main contract sent a second time, on their
    product's alias topic (``rb888.SHFE``)."""
    announced: int = 0
    """Main contracts announced on ``#main.<alias>`` (decisions, and aliases taken over
    from the bucket at a start)."""

    def snapshot(self) -> dict[str, int]:
        return asdict(self)


class StatsLine:
    """Formats the periodic counters line: totals plus the forwarding rate since last time."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self._last_at = time.monotonic()
        self._last_forwarded = counters.forwarded

    def render(self) -> str:
        """Totals and the forwarding rate since the previous call."""
        now = time.monotonic()
        forwarded = self.counters.forwarded
        elapsed = now - self._last_at
        rate = (forwarded - self._last_forwarded) / elapsed if elapsed > 0 else 0.0
        self._last_at, self._last_forwarded = now, forwarded
        return f"stats {self.totals()} rate={rate:.0f}/s"

    def totals(self) -> str:
        return " ".join(
            f"{field.name}={getattr(self.counters, field.name)}" for field in fields(self.counters)
        )
