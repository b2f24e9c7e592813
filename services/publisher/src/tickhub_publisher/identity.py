"""What makes two ticks the same exchange tick, and how ticks that share a time are
told apart. Pure.

CTP gives a tick no id and no sequence number, and not every exchange gives it a
unique time: CZCE (and some fronts for the others) send whole seconds, and the
exchanges send quote-only updates, where the book or open interest changed but not
the volume. So a tick is its content: the exchange time as sent, the cumulative
volume, turnover and open interest, the last price and the five-level book. Two
sources' copies of one exchange tick agree on all of it, whatever their fronts
conflated, and two different ticks at the same time differ in some of it.

The one case content cannot tell apart is a book that leaves a state and comes back
to it within one time stamp, everything else equal: the two ticks are the same to a
client too, so the second one is sent as a duplicate would be, not at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tickhub_contracts.messages import Tick


def same_tick(a: Tick, b: Tick) -> bool:
    """Whether ``a`` and ``b`` (of one contract, at one exchange time) are copies of
    one exchange tick. Cheapest and likeliest differences first."""
    return (
        a.volume == b.volume
        and a.bid_price_1 == b.bid_price_1
        and a.ask_price_1 == b.ask_price_1
        and a.bid_volume_1 == b.bid_volume_1
        and a.ask_volume_1 == b.ask_volume_1
        and a.last_price == b.last_price
        and a.open_interest == b.open_interest
        and a.turnover == b.turnover
        and a.bid_price_2 == b.bid_price_2
        and a.ask_price_2 == b.ask_price_2
        and a.bid_volume_2 == b.bid_volume_2
        and a.ask_volume_2 == b.ask_volume_2
        and a.bid_price_3 == b.bid_price_3
        and a.ask_price_3 == b.ask_price_3
        and a.bid_volume_3 == b.bid_volume_3
        and a.ask_volume_3 == b.ask_volume_3
        and a.bid_price_4 == b.bid_price_4
        and a.ask_price_4 == b.ask_price_4
        and a.bid_volume_4 == b.bid_volume_4
        and a.ask_volume_4 == b.ask_volume_4
        and a.bid_price_5 == b.bid_price_5
        and a.ask_price_5 == b.ask_price_5
        and a.bid_volume_5 == b.bid_volume_5
        and a.ask_volume_5 == b.ask_volume_5
    )


_HALF_SECOND = timedelta(milliseconds=500)
_MS = timedelta(milliseconds=1)
_US = timedelta(microseconds=1)
_SECOND_END = timedelta(microseconds=999_999)


def time_apart(at: datetime, k: int, whole_seconds: bool) -> datetime:
    """The time a client sees for the ``k``-th different tick (k >= 0) sent with the
    exchange time ``at``: unique and increasing, as close to ``at`` as can be.

    Where the contract's ticks come in whole seconds (CZCE, some fronts), a second is
    cut as CTP's cadence of two snapshots a second suggests: +0, +500 ms, then +501,
    +502 ... ms, then single microseconds up to the end of the second. Where they
    carry milliseconds, two ticks in one millisecond are single microseconds apart.
    It depends only on what went out before (the publisher's one stream), so every
    client sees the same time for the same tick, whichever source delivered it.
    """
    if k == 0:
        return at
    if not whole_seconds:
        return at + k * _US
    if k == 1:
        return at + _HALF_SECOND
    if k < 500:
        return at + _HALF_SECOND + (k - 1) * _MS
    return at + min(_HALF_SECOND + 499 * _MS + (k - 500) * _US, _SECOND_END)
