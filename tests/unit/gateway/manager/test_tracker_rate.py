"""The manager's tick rate of a source (GatewayStatus.ticks_per_s), from the
ticks_total of its heartbeats, measured by the worker's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.messages import Heartbeat, SourceConfig
from tickhub_gateway.manager.tracker import RATE_WINDOW, SourceTracker

T0 = datetime(2026, 11, 24, 1, tzinfo=UTC)


def tracker() -> SourceTracker:
    t = SourceTracker(SourceConfig(name="sim-a", gateway_type="sim", canary="rb2605.SHFE"))
    t.spawned(100, now=0.0)
    return t


def beat(second: float, total: int, pid: int = 100, **kw: object) -> Heartbeat:
    return Heartbeat(
        source="sim-a",
        pid=pid,
        seq=int(second),
        at=T0 + timedelta(seconds=second),
        connected=True,
        ticks_total=total,
        **kw,  # type: ignore[arg-type]
    )


def test_no_rate_before_two_heartbeats() -> None:
    t = tracker()
    assert t.status().ticks_per_s == 0.0
    t.on_heartbeat(beat(0, 50), now=0.0)
    assert t.status().ticks_per_s == 0.0


def test_the_rate_is_ticks_over_the_workers_own_time() -> None:
    t = tracker()
    for second in range(4):
        # Arrival times bunch up (a slow bus): they must not matter.
        t.on_heartbeat(beat(second, 100 + 10 * second), now=5.0)
    assert t.status().ticks_per_s == 10.0


def test_the_window_forgets_old_heartbeats() -> None:
    t = tracker()
    total = 0
    for second in range(20):
        total += 100 if second < 10 else 2  # a burst, then a trickle
        t.on_heartbeat(beat(second, total), now=float(second))
    assert t.status().ticks_per_s == 2.0
    assert len(t._counts) == RATE_WINDOW


def test_a_new_process_starts_measuring_afresh() -> None:
    t = tracker()
    t.on_heartbeat(beat(0, 0), now=0.0)
    t.on_heartbeat(beat(1, 1000), now=1.0)
    assert t.status().ticks_per_s == 1000.0
    t.spawned(101, now=2.0)
    assert t.status().ticks_per_s == 0.0
    t.on_heartbeat(beat(2, 0, pid=101), now=2.0)
    t.on_heartbeat(beat(3, 3, pid=101), now=3.0)
    assert t.status().ticks_per_s == 3.0


def test_not_running_means_no_rate() -> None:
    t = tracker()
    t.on_heartbeat(beat(0, 0), now=0.0)
    t.on_heartbeat(beat(1, 10), now=1.0)
    assert t.check(now=10.0, heartbeat_timeout=1.5, start_timeout=20.0)
    assert t.state == "hung" and t.status().ticks_per_s == 0.0
    t.stopped(0, "stopped by operator")
    assert t.status().ticks_per_s == 0.0


def test_a_clock_step_back_or_a_counter_reset_restarts_the_window() -> None:
    t = tracker()
    t.on_heartbeat(beat(10, 100), now=0.0)
    t.on_heartbeat(beat(11, 110), now=1.0)
    t.on_heartbeat(beat(5, 120), now=2.0)  # the worker's clock stepped back
    assert t.status().ticks_per_s == 0.0
    t.on_heartbeat(beat(6, 130), now=3.0)
    assert t.status().ticks_per_s == 10.0
    t.on_heartbeat(beat(7, 3), now=4.0)  # the counter went down
    assert t.status().ticks_per_s == 0.0


def test_the_canary_receive_time_is_passed_on() -> None:
    t = tracker()
    received = T0 + timedelta(seconds=1, milliseconds=5)
    t.on_heartbeat(beat(1, 1, canary_received_at=received), now=1.0)
    assert t.status().canary_received_at == received


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=30))
def test_the_rate_is_never_negative_and_matches_the_window(increments: list[int]) -> None:
    t = tracker()
    total = 0
    totals = []
    for second, increment in enumerate(increments):
        total += increment
        totals.append(total)
        t.on_heartbeat(beat(second, total), now=float(second))
    window = totals[-RATE_WINDOW:]
    expected = (window[-1] - window[0]) / (len(window) - 1)
    assert t.status().ticks_per_s == round(expected, 3) >= 0
