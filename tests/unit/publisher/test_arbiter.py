"""The arbiter: identity, order, staleness, the future, sessions and seq, per contract."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_publisher.arbiter import (
    DUPLICATE,
    FUTURE,
    NOT_LIVE,
    OUT_OF_SESSION,
    STALE,
    Arbiter,
)

BASE = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
LATER = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
"""``not_after`` of the tests that are not about the future."""
CONTRACTS = ["rb2605.SHFE", "m2605.DCE"]


def tick(
    vt_symbol: str = "rb2605.SHFE",
    ms: int = 0,
    volume: float = 0.0,
    *,
    bid: float = 3500.0,
    live: bool = True,
    in_session: bool = True,
    source: str = "sim-a",
    tz: dt.tzinfo = CHINA_TZ,
    at: dt.datetime = BASE,
) -> Tick:
    symbol, exchange = vt_symbol.split(".")
    return Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=(at + dt.timedelta(milliseconds=ms)).astimezone(tz),
        volume=volume,
        turnover=volume * 35_000.0,
        bid_price_1=bid,
        bid_volume_1=3.0,
        live=live,
        in_session=in_session,
        source=source,
    )


def test_first_tick_gets_seq_1_and_keeps_its_source() -> None:
    arbiter = Arbiter()
    t = tick(source="sim-b")
    assert arbiter.offer(t, LATER) == 1
    assert t.seq == 1
    assert t.source == "sim-b"


def test_a_copy_is_a_duplicate_and_an_older_tick_is_stale() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick(ms=10, volume=5), LATER) == 1
    assert arbiter.offer(tick(ms=10, volume=5, source="sim-b"), LATER) == DUPLICATE
    assert arbiter.offer(tick(ms=10, volume=4), LATER) == STALE
    assert arbiter.offer(tick(ms=9, volume=99), LATER) == STALE
    assert arbiter.offer(tick(ms=11, volume=6), LATER) == 2


def test_a_quote_only_update_in_the_same_second_goes_out_with_a_time_of_its_own() -> None:
    """CZCE: whole seconds; the book moved, the volume did not."""
    arbiter = Arbiter()
    first, quote, again, copy = (
        tick(volume=5, bid=3500.0),
        tick(volume=5, bid=3501.0),
        tick(volume=5, bid=3502.0),
        tick(volume=5, bid=3501.0, source="sim-b"),
    )
    assert arbiter.offer(first, LATER) == 1
    assert arbiter.offer(quote, LATER) == 2
    assert arbiter.offer(copy, LATER) == DUPLICATE  # the other source's copy of `quote`
    assert arbiter.offer(again, LATER) == 3
    assert [first.datetime, quote.datetime, again.datetime] == [
        BASE,
        BASE + dt.timedelta(milliseconds=500),
        BASE + dt.timedelta(milliseconds=501),
    ]


def test_two_sources_give_one_tick_one_identity_whatever_their_fronts_conflated() -> None:
    """Front A sends both of a whole second's snapshots, front B merged them into the
    second one. B's copy is the same tick as A's second, whichever comes first."""
    expected = {
        ("a1", "b2", "a2"): ["a1", "b2"],
        ("a1", "a2", "b2"): ["a1", "a2"],
        # The older snapshot after the newer one has less volume: stale, not sent late.
        ("b2", "a1", "a2"): ["b2"],
    }
    for order, sent_expected in expected.items():
        arbiter = Arbiter()
        copies = {
            "a1": tick(volume=5, bid=3500.0, source="sim-a"),
            "a2": tick(volume=7, bid=3501.0, source="sim-a"),
            "b2": tick(volume=7, bid=3501.0, source="sim-b"),
        }
        verdicts = {name: arbiter.offer(copies[name], LATER) for name in order}
        assert [name for name in order if verdicts[name] > 0] == sent_expected
        assert DUPLICATE in verdicts.values() or order[0] == "b2"


def test_volume_never_goes_back_within_a_trading_day() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick(ms=0, volume=100), LATER) == 1
    assert arbiter.offer(tick(ms=500, volume=99), LATER) == STALE  # later, but less volume
    assert arbiter.offer(tick(ms=1000, volume=100), LATER) == 2


def test_volume_restarts_with_the_next_trading_day() -> None:
    arbiter = Arbiter()
    close = dt.datetime(2026, 11, 24, 15, 0, tzinfo=CHINA_TZ)  # Tuesday's day session
    night = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)  # Wednesday's trading day
    assert arbiter.offer(tick(volume=900_000, at=close), LATER) == 1
    assert arbiter.offer(tick(volume=12, at=night), LATER) == 2
    # Friday night and Monday's day session are one trading day: no restart there.
    friday = dt.datetime(2026, 11, 27, 22, 0, tzinfo=CHINA_TZ)
    monday = dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)
    assert arbiter.offer(tick(volume=5_000, at=friday), LATER) == 3
    assert arbiter.offer(tick(volume=4_000, at=monday), LATER) == STALE


def test_a_future_tick_is_dropped_and_does_not_hold_back_later_ticks() -> None:
    arbiter = Arbiter()
    now = BASE + dt.timedelta(seconds=2)
    ahead = tick(ms=60_000, volume=50)
    assert arbiter.offer(ahead, now) == FUTURE
    assert ahead.seq is None
    assert arbiter.offer(tick(ms=1_000, volume=10), now) == 1
    assert arbiter.offer(tick(ms=2_000, volume=11), now) == 2


def test_non_live_and_out_of_session_ticks_never_go_out_and_move_nothing() -> None:
    arbiter = Arbiter()
    replay = tick(ms=100, live=False)
    settlement = tick(ms=200, volume=9, in_session=False)
    assert arbiter.offer(replay, LATER) == NOT_LIVE
    assert arbiter.offer(settlement, LATER) == OUT_OF_SESSION
    assert replay.seq is None and settlement.seq is None
    assert arbiter.offer(tick(ms=1, volume=1), LATER) == 1


def test_the_same_instant_in_another_timezone_is_the_same_tick() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick(ms=5, volume=1, tz=CHINA_TZ), LATER) == 1
    assert arbiter.offer(tick(ms=5, volume=1, tz=dt.UTC), LATER) == DUPLICATE


def test_contracts_are_independent() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick("rb2605.SHFE", ms=10), LATER) == 1
    assert arbiter.offer(tick("m2605.DCE", ms=1), LATER) == 1
    assert arbiter.offer(tick("rb2605.SHFE", ms=11), LATER) == 2
    assert len(arbiter) == 2


# --- the property: several sources' copies of one stream ------------------------------


@dataclass(frozen=True)
class Step:
    """One exchange tick of the stream: its time and content, as numbers."""

    ms: int
    volume: int
    bid: int


@st.composite
def exchange_streams(draw: st.DrawFn) -> list[Step]:
    """A stream in exchange order with the updates that break a (time, volume) key:
    several ticks in one whole second, quote-only updates (same time, same volume,
    another book), trades. Whole seconds or milliseconds, as fronts send."""
    whole_seconds = draw(st.booleans())
    steps: list[Step] = []
    # A stream with milliseconds shows them from its first tick (the publisher learns
    # from it that the contract's seconds are not to be spread).
    ms, volume = (0 if whole_seconds else 1), 0
    for bid in range(draw(st.integers(0, 40))):
        if steps:
            move = draw(st.sampled_from(["time", "trade", "quote"]))
            if move == "time":
                ms += 1000 if whole_seconds else draw(st.sampled_from([1, 500, 1000]))
            elif move == "trade":
                volume += draw(st.integers(1, 5))
        # Every step changes the book (bid): two ticks never have one content.
        steps.append(Step(ms, volume, bid))
    return steps


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[Step], list[tuple[int, int]]]:
    """The stream and an arrival order of 2-3 sources' full copies: each source keeps
    the exchange's order, the sources interleave in any way."""
    steps = draw(exchange_streams())
    sources = draw(st.integers(2, 3))
    order = draw(st.permutations([s for s in range(sources) for _ in steps]))
    arrivals, next_of = [], [0] * sources
    for s in order:
        arrivals.append((s, next_of[s]))
        next_of[s] += 1
    return steps, arrivals


def _tick_of(step: Step, source: int) -> Tick:
    return tick(ms=step.ms, volume=step.volume, bid=3000.0 + step.bid, source=f"s{source}")


@given(interleavings())
def test_any_interleaving_of_full_copies_yields_each_distinct_tick_once_in_exchange_order(
    case: tuple[list[Step], list[tuple[int, int]]],
) -> None:
    steps, arrivals = case
    arbiter = Arbiter()
    out: list[Tick] = []
    for source, index in arrivals:
        t = _tick_of(steps[index], source)
        if arbiter.offer(t, LATER) > 0:
            out.append(t)
    assert [t.bid_price_1 for t in out] == [3000.0 + s.bid for s in steps]
    assert [t.seq for t in out] == list(range(1, len(steps) + 1))
    # Clients see unique, increasing times.
    assert all(a.datetime < b.datetime for a, b in itertools.pairwise(out))


@given(interleavings(), st.data())
def test_conflating_fronts_never_send_a_tick_twice_nor_out_of_order(
    case: tuple[list[Step], list[tuple[int, int]]], data: st.DataObject
) -> None:
    """Each source's front may drop (conflate) any of its ticks: still no tick goes
    out twice, times and volumes never go back, and a tick that arrives newer than
    everything sent goes out."""
    steps, arrivals = case
    kept = [a for a in arrivals if data.draw(st.booleans())]
    arbiter = Arbiter()
    out: list[Step] = []
    for source, index in kept:
        step = steps[index]
        newest = out[-1] if out else None
        verdict = arbiter.offer(_tick_of(step, source), LATER)
        if verdict > 0:
            out.append(step)
        if newest is None or (step.ms, step.volume) > (newest.ms, newest.volume):
            assert verdict > 0
    assert len(set(out)) == len(out)
    assert all((a.ms, a.volume) <= (b.ms, b.volume) for a, b in itertools.pairwise(out))
