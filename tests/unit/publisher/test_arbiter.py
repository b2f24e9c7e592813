"""The arbiter: order, duplicates, staleness and seq, per contract."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_publisher.arbiter import DUPLICATE, NOT_LIVE, STALE, Arbiter

BASE = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
CONTRACTS = ["rb2605.SHFE", "m2605.DCE"]


def tick(
    vt_symbol: str = "rb2605.SHFE",
    ms: int = 0,
    volume: float = 0.0,
    *,
    live: bool = True,
    source: str = "sim-a",
    tz: dt.tzinfo = CHINA_TZ,
) -> Tick:
    symbol, exchange = vt_symbol.split(".")
    return Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=(BASE + dt.timedelta(milliseconds=ms)).astimezone(tz),
        volume=volume,
        live=live,
        source=source,
    )


def key(t: Tick) -> tuple[dt.datetime, float]:
    return (t.datetime, t.volume)


# Small domains on purpose: collisions (duplicates) and regressions (stale) are common.
ticks = st.builds(
    tick,
    vt_symbol=st.sampled_from(CONTRACTS),
    ms=st.integers(0, 30),
    volume=st.integers(0, 4).map(float),
    live=st.sampled_from([True, True, True, False]),
    source=st.sampled_from(["sim-a", "sim-b"]),
    tz=st.sampled_from([CHINA_TZ, dt.UTC]),
)


def test_first_tick_gets_seq_1_and_keeps_its_source() -> None:
    arbiter = Arbiter()
    t = tick(source="sim-b")
    assert arbiter.offer(t) == 1
    assert t.seq == 1
    assert t.source == "sim-b"


def test_same_key_is_a_duplicate_and_older_is_stale() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick(ms=10, volume=5)) == 1
    assert arbiter.offer(tick(ms=10, volume=5)) == DUPLICATE
    assert arbiter.offer(tick(ms=10, volume=4)) == STALE
    assert arbiter.offer(tick(ms=9, volume=99)) == STALE
    assert arbiter.offer(tick(ms=10, volume=6)) == 2  # same time, more volume: CZCE
    assert arbiter.offer(tick(ms=11, volume=0)) == 3  # later time wins whatever the volume


def test_non_live_is_never_forwarded_even_when_newer() -> None:
    arbiter = Arbiter()
    t = tick(ms=100, live=False)
    assert arbiter.offer(t) == NOT_LIVE
    assert t.seq is None
    assert arbiter.offer(tick(ms=1)) == 1  # and it did not move the key


def test_the_same_instant_in_another_timezone_is_the_same_key() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick(ms=5, volume=1, tz=CHINA_TZ)) == 1
    assert arbiter.offer(tick(ms=5, volume=1, tz=dt.UTC)) == DUPLICATE


def test_contracts_are_independent() -> None:
    arbiter = Arbiter()
    assert arbiter.offer(tick("rb2605.SHFE", ms=10)) == 1
    assert arbiter.offer(tick("m2605.DCE", ms=1)) == 1
    assert arbiter.offer(tick("rb2605.SHFE", ms=11)) == 2
    assert len(arbiter) == 2


@given(st.lists(ticks, max_size=200))
def test_output_is_strictly_increasing_in_key_and_seq_without_holes(
    stream: list[Tick],
) -> None:
    arbiter = Arbiter()
    out: dict[str, list[Tick]] = {}
    for t in stream:
        if arbiter.offer(t) > 0:
            out.setdefault(t.vt_symbol, []).append(t)
    for forwarded in out.values():
        assert [t.seq for t in forwarded] == list(range(1, len(forwarded) + 1))
        keys = [key(t) for t in forwarded]
        assert all(a < b for a, b in itertools.pairwise(keys))
        assert all(t.live for t in forwarded)


@given(st.lists(ticks, max_size=200))
def test_a_tick_is_forwarded_exactly_when_it_is_newer_than_everything_before(
    stream: list[Tick],
) -> None:
    """The whole rule as a model: nothing forwarded is stale, nothing fresh is lost."""
    arbiter = Arbiter()
    newest: dict[str, tuple[dt.datetime, float]] = {}
    for t in stream:
        best = newest.get(t.vt_symbol)
        fresh = t.live and (best is None or key(t) > best)
        verdict = arbiter.offer(t)
        assert (verdict > 0) == fresh
        if not t.live:
            assert verdict == NOT_LIVE
        elif not fresh:
            assert best is not None
            assert verdict == (DUPLICATE if key(t) == best else STALE)
        if fresh:
            newest[t.vt_symbol] = key(t)


@st.composite
def two_identical_streams(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Slots (strictly increasing keys) and an interleaving of source a's and b's copies."""
    n = draw(st.integers(0, 60))
    gaps = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    slots = [sum(gaps[: i + 1]) for i in range(n)]
    order = draw(st.permutations([0] * n + [1] * n))
    return slots, list(order)


@given(two_identical_streams())
def test_interleaved_identical_streams_of_two_sources_yield_each_tick_once(
    streams: tuple[list[int], list[int]],
) -> None:
    slots, order = streams
    arbiter = Arbiter()
    next_of = [0, 0]
    out: list[Tick] = []
    for who in order:
        slot = slots[next_of[who]]
        next_of[who] += 1
        t = tick(ms=slot * 500, volume=slot, source=("sim-a", "sim-b")[who])
        if arbiter.offer(t) > 0:
            out.append(t)
    assert [t.volume for t in out] == [float(s) for s in slots]
    assert [t.seq for t in out] == list(range(1, len(slots) + 1))
