"""Peer lag on canary ticks: the first copy is the reference."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_health.lag import PeerLag

T0 = dt.datetime(2025, 1, 8, 10, 0, tzinfo=dt.UTC)
CANARY = "rb2605.SHFE"


def key(n: int) -> tuple[dt.datetime, float]:
    return (T0 + dt.timedelta(milliseconds=500 * n), float(n * 7))


def feed(lag: PeerLag, delays: dict[str, float], ticks: int, start_s: float = 0.0) -> float:
    """Every source gets every tick, ``delays[source]`` seconds after it was made;
    arrivals are observed in time order. Returns the last arrival time."""
    arrivals = sorted(
        (start_s + n * 0.5 + delay, source, n)
        for n in range(ticks)
        for source, delay in delays.items()
    )
    for at, source, n in arrivals:
        lag.observe(source, CANARY, key(n), at)
    return arrivals[-1][0]


def test_a_slower_source_lags_by_its_delay_and_the_faster_by_nothing() -> None:
    lag = PeerLag()
    now = feed(lag, {"fast": 0.010, "slow": 0.810}, 40)
    assert lag.lag_ms("slow", now) == pytest.approx(800.0)
    assert lag.lag_ms("fast", now) == 0.0


def test_a_source_alone_has_no_lag() -> None:
    lag = PeerLag()
    now = feed(lag, {"alone": 0.3}, 20)
    assert lag.lag_ms("alone", now) is None
    assert lag.lag_ms("unknown", now) is None


def test_a_repeated_copy_is_not_a_sample() -> None:
    lag = PeerLag()
    lag.observe("a", CANARY, key(1), 1.0)
    lag.observe("b", CANARY, key(1), 1.1)
    lag.observe("b", CANARY, key(1), 5.0)
    assert lag.lag_ms("b", 5.0) == pytest.approx(100.0)


def test_one_late_packet_does_not_move_the_median() -> None:
    lag = PeerLag()
    now = feed(lag, {"a": 0.0, "b": 0.02}, 30)
    lag.observe("a", CANARY, key(31), now + 0.5)
    lag.observe("b", CANARY, key(31), now + 3.0)
    assert lag.lag_ms("b", now + 3.0) == pytest.approx(20.0)


def test_a_copy_later_than_the_window_is_still_measured() -> None:
    lag = PeerLag(window_s=5.0)
    # "a" has ticks 0..39 (0-19.5 s); "b" sends tick 0 at 20 s, long after its key
    # (and its window) went.
    for n in range(40):
        lag.observe("a", CANARY, key(n), n * 0.5)
    lag.observe("b", CANARY, key(0), 20.0)
    measured = lag.lag_ms("b", 20.0)
    assert measured is not None and measured >= 4000.0  # a lower bound, not zero


def test_memory_is_bounded() -> None:
    lag = PeerLag(window_s=1e9, max_keys=100, samples=9)
    feed(lag, {"a": 0.0, "b": 0.1}, 5000)
    contract = lag._contracts[CANARY]
    assert len(contract.keys) <= 100
    assert all(len(samples) <= 9 for samples in lag._samples.values())


def test_samples_expire_with_the_window() -> None:
    lag = PeerLag(window_s=10.0)
    now = feed(lag, {"a": 0.0, "b": 0.7}, 10)
    assert lag.lag_ms("b", now) is not None
    assert lag.lag_ms("b", now + 11.0) is None


def test_forget_drops_a_sources_samples() -> None:
    lag = PeerLag()
    now = feed(lag, {"a": 0.0, "b": 0.7}, 10)
    lag.forget("b")
    assert lag.lag_ms("b", now) is None


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.floats(min_value=0.0, max_value=2.0),
        min_size=2,
        max_size=4,
    ),
    st.integers(min_value=5, max_value=60),
)
def test_constant_delays_are_measured_against_the_fastest(
    delays: dict[str, float], ticks: int
) -> None:
    lag = PeerLag(window_s=60.0, samples=21)
    now = feed(lag, delays, ticks)
    fastest = min(delays.values())
    for source, delay in delays.items():
        measured = lag.lag_ms(source, now)
        assert measured is not None
        assert measured == pytest.approx((delay - fastest) * 1000.0, abs=1e-6)
