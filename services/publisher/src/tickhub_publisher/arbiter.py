"""Per-contract judgement: which ticks of the eligible sources go out, and their seq.

Every eligible source of a contract feeds its one :class:`Lane`, so the first copy of
each exchange tick to arrive, from whichever source, goes out. Per tick, in order:

1. not live (a snapshot replayed at login) or out of session (``in_session`` false):
   never sent as live;
2. dated past ``not_after`` (the publisher's clock plus a small tolerance): dropped
   and counted, and the lane is left as it was, so a bad clock on one front cannot
   hold back the contract's later ticks;
3. at the same exchange time as the last tick sent: a copy of one of the ticks sent
   with that time (:func:`~tickhub_publisher.identity.same_tick`) is a duplicate;
4. older than the last tick sent (exchange time), or with less cumulative volume
   within the same trading day (volume never goes back within a day): stale;
5. at the same exchange time, anything else is a new tick (a quote-only update, a
   second trade in a whole second) and gets a time of its own
   (:func:`~tickhub_publisher.identity.time_apart`: spread over the second where the
   contract's ticks come in whole seconds);
6. sent: stamped with the contract's next ``seq`` (1, 2, 3 ... with no holes), so a
   client that sees a hole knows it missed a message on the ZeroMQ side, not that the
   exchange skipped one.

Pure and single-threaded: the bridge calls it from the event loop only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import KeysView

from tickhub_contracts.messages import Tick
from tickhub_markets.trading_days import trading_day

from .identity import same_tick, time_apart

# What :meth:`Lane.offer` returns when it does not forward; a forwarded tick gets its
# seq instead, which is always >= 1. Plain ints: the hot path compares them per tick.
DUPLICATE = 0
"""A copy of a tick already sent (same exchange time and content)."""
STALE = -1
"""Older than what was sent: an earlier exchange time, or less volume the same day."""
NOT_LIVE = -2
"""A snapshot the front replayed (``live=False``): never forwarded."""
FUTURE = -3
"""Dated past the publisher's clock plus its tolerance."""
OUT_OF_SESSION = -4
"""Stamped outside every trading session of its product (``in_session=False``)."""

SAME_TIME_LIMIT = 256
"""Different ticks remembered per exchange time. Real fronts send a handful per
second; past this a copy of an early one would go out again, never one of the last."""


class Lane:
    """One contract's state: the ticks sent at the last exchange time, the volume
    sent, the last tick and the last seq given out."""

    __slots__ = ("last", "last_at", "last_volume", "milliseconds", "same_time", "seq", "vt_symbol")

    def __init__(self, vt_symbol: str) -> None:
        self.vt_symbol = vt_symbol
        self.last_at: dt.datetime | None = None
        """The exchange time (as sent) of the last tick sent."""
        self.last_volume = 0.0
        self.same_time: list[Tick] = []
        """Every different tick sent with exchange time ``last_at``, in order."""
        self.seq = 0
        self.last: Tick | None = None
        """The last tick sent (its volume and open interest make the day book of
        :mod:`.mains`)."""
        self.milliseconds = False
        """Whether a tick sent for this contract had a fraction of a second: then its
        exchange gives milliseconds, and ticks in one second are not to be spread."""

    def offer(self, tick: Tick, not_after: dt.datetime) -> int:
        """Forward ``tick`` (stamp its ``seq`` and return it) or say why not.

        ``tick.datetime`` must be timezone-aware (the bridge refuses naive ones):
        Python cannot order an aware and a naive datetime.
        """
        if not tick.live:
            return NOT_LIVE
        if not tick.in_session:
            return OUT_OF_SESSION
        at = tick.datetime
        if at > not_after:
            return FUTURE
        last = self.last_at
        volume = tick.volume
        same_time = self.same_time
        if last is not None:
            if at < last:
                return STALE
            if at == last:
                # A copy first: one of the second's earlier ticks, resent after a later
                # one went out, is a duplicate, not news gone stale.
                for sent in same_time:
                    if same_tick(tick, sent):
                        return DUPLICATE
                if volume < self.last_volume:
                    return STALE
                k = len(same_time)
                if k < SAME_TIME_LIMIT:
                    same_time.append(tick)
                # In place, after the tick was remembered: its content, not its time,
                # is what a later copy is compared with.
                tick.datetime = time_apart(at, k, not self.milliseconds)
            else:
                if volume < self.last_volume and _same_day(at, last):
                    return STALE
                same_time.clear()
                same_time.append(tick)
        else:
            same_time.append(tick)
        self.last_at = at
        self.last_volume = volume
        if at.microsecond:
            self.milliseconds = True
        seq = self.seq + 1
        self.seq = seq
        self.last = tick
        # In place: the tick is ours (just decoded) and a copy would cost an allocation.
        tick.seq = seq
        return seq


def _same_day(a: dt.datetime, b: dt.datetime) -> bool:
    # Only asked when the volume went back, which within a day is a stale tick and
    # across days the day's reset: rare, so the calendar arithmetic is no cost.
    return trading_day(a) == trading_day(b)


class Arbiter:
    """Every contract's :class:`Lane`, made on first use."""

    def __init__(self) -> None:
        self._lanes: dict[str, Lane] = {}

    def lane(self, vt_symbol: str) -> Lane:
        lane = self._lanes.get(vt_symbol)
        if lane is None:
            lane = self._lanes[vt_symbol] = Lane(vt_symbol)
        return lane

    def get(self, vt_symbol: str) -> Lane | None:
        """The contract's lane if it has one (never makes one)."""
        return self._lanes.get(vt_symbol)

    def names(self) -> KeysView[str]:
        """Every contract with a lane."""
        return self._lanes.keys()

    def offer(self, tick: Tick, not_after: dt.datetime) -> int:
        """:meth:`Lane.offer` on the tick's own contract (the bridge keeps lanes itself)."""
        return self.lane(tick.vt_symbol).offer(tick, not_after)

    def __len__(self) -> int:
        return len(self._lanes)
