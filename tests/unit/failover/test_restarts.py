"""The hard-restart policy: cool-down, backoff, waiting for the new process, reset,
and the failures it never restarts."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts.messages import SourceHealth
from tickhub_failover.restarts import (
    Action,
    Notice,
    Restart,
    RestartPolicy,
    RestartSettings,
    backoff_s,
)

from .verdicts import at, by_source, verdict

COOL = 10.0
CAP = 300.0
CFG = RestartSettings(cooldown_s=COOL, backoff_max_s=CAP, reset_s=60.0, startup_grace_s=20.0)


def restarts(actions: list[Action]) -> list[Restart]:
    return [a for a in actions if isinstance(a, Restart)]


def notices(actions: list[Action], kind: str) -> list[Notice]:
    return [a for a in actions if isinstance(a, Notice) and a.action == kind]


def run(policy: RestartPolicy, v: SourceHealth, *moments: float) -> list[Action]:
    """Step the policy at each moment with the same verdict; every action."""
    found: list[Action] = []
    for moment in moments:
        found.extend(policy.step(by_source(v), at(moment)))
    return found


def test_backoff_schedule_doubles_from_the_cooldown_to_the_cap():
    assert [backoff_s(n, 10, 300) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]
    assert backoff_s(10_000, 0.5, 30) == 30
    assert backoff_s(1, 500, 300) == 300


@given(
    st.floats(0, 1000, allow_nan=False),
    st.floats(0.001, 10_000, allow_nan=False),
    st.integers(1, 500),
)
def test_backoff_is_monotone_and_capped(cooldown, cap, attempt):
    here, after = backoff_s(attempt, cooldown, cap), backoff_s(attempt + 1, cooldown, cap)
    assert 0 <= here <= after <= cap
    assert backoff_s(1, cooldown, cap) == min(cooldown, cap)
    assert after == min(here * 2, cap) or here == 0


def test_a_restart_is_ordered_after_the_cooldown_not_before():
    policy = RestartPolicy(CFG)
    down = verdict("A", "UNHEALTHY", since=0, now=0, reason="no heartbeat for 1.6 s")
    assert run(policy, down, 0, 5, COOL - 0.01) == []
    [order] = policy.step(by_source(down), at(COOL))
    assert order == Restart("A", 1, "UNHEALTHY (heartbeat_lost) for 10.0 s: no heartbeat for 1.6 s")
    assert policy.attempts("A") == 1


def test_nothing_more_is_ordered_while_the_new_process_proves_itself():
    policy = RestartPolicy(CFG)
    down = verdict("A", "UNHEALTHY", since=0, now=0)
    run(policy, down, COOL)
    # Still the old verdict (the new process not judged yet): wait its startup grace.
    assert run(policy, down, 11, 20, COOL + 19.9) == []
    recovering = verdict("A", "RECOVERING", since=12, now=12)
    assert run(policy, recovering, 12, 25, 40, 100) == []
    # The new process failed: attempt 2 waits twice the cool-down from that failure.
    failed = verdict("A", "UNHEALTHY", since=40, now=40)
    [backing] = run(policy, failed, 41, 50)
    assert backing == Notice("A", "backing_off", 2, backing.reason, next_in_s=2 * COOL - 1), backing
    assert restarts(run(policy, failed, 40 + 2 * COOL - 0.01)) == []
    [order] = run(policy, failed, 40 + 2 * COOL)
    assert order == Restart("A", 2, order.reason)


def test_no_word_of_the_new_process_within_its_grace_counts_as_a_failure():
    policy = RestartPolicy(CFG)
    down = verdict("A", "UNHEALTHY", since=0, now=0)
    run(policy, down, COOL)
    # The grace ends at 30; attempt 2 is then due 20 s after the order (at 30).
    assert restarts(run(policy, down, 29.9)) == []
    assert [r.attempt for r in restarts(run(policy, down, 30))] == [2]


def test_success_is_announced_once_and_the_count_resets_after_reset_s_healthy():
    policy = RestartPolicy(CFG)
    run(policy, verdict("A", "UNHEALTHY", since=0, now=0), COOL)
    healthy = verdict("A", "HEALTHY", since=15, now=15, previous="RECOVERING")
    actions = run(policy, healthy, 15, 16, 30)
    assert [(n.action, n.attempt) for n in notices(actions, "succeeded")] == [("succeeded", 1)]
    assert policy.attempts("A") == 1
    run(policy, healthy, 15 + 60)
    assert policy.attempts("A") == 0
    # A new failure waits the plain cool-down again.
    down = verdict("A", "UNHEALTHY", since=100, now=100)
    assert restarts(run(policy, down, 100 + COOL - 0.01)) == []
    assert [r.attempt for r in restarts(run(policy, down, 100 + COOL))] == [1]


def test_healthy_for_less_than_reset_s_keeps_counting():
    policy = RestartPolicy(CFG)
    run(policy, verdict("A", "UNHEALTHY", since=0, now=0), COOL)
    run(policy, verdict("A", "HEALTHY", since=15, now=15), 15, 50)
    down = verdict("A", "UNHEALTHY", since=50, now=50)
    assert restarts(run(policy, down, 50 + 2 * COOL - 0.01)) == []
    assert [r.attempt for r in restarts(run(policy, down, 50 + 2 * COOL))] == [2]


def test_a_rejected_login_is_never_restarted_and_told_once():
    policy = RestartPolicy(CFG)
    rejected = verdict(
        "A",
        "UNHEALTHY",
        cause="login_rejected",
        since=0,
        now=0,
        needs_operator=True,
        reason="login rejected: 3 invalid password",
    )
    actions = run(policy, rejected, *range(0, 2000, 7))
    assert restarts(actions) == []
    [told] = notices(actions, "needs_operator")
    assert "invalid password" in told.reason


def test_stopped_market_closed_degraded_and_silence_out_of_session_are_never_restarted():
    for v in (
        verdict("A", "STOPPED", since=0, now=0),
        verdict("A", "MARKET_CLOSED", since=0, now=0),
        verdict("A", "DEGRADED", since=0, now=0),
        verdict("A", "UNHEALTHY", cause="canary_stale", since=0, now=0, in_session=False),
    ):
        policy = RestartPolicy(CFG)
        assert run(policy, v, *range(0, 2000, 7)) == [], v.state


def test_a_refused_order_is_not_waited_for_and_the_next_one_backs_off():
    policy = RestartPolicy(CFG)
    down = verdict("A", "UNHEALTHY", since=0, now=0)
    run(policy, down, COOL)
    policy.refused("A")
    assert notices(run(policy, down, COOL + 1), "succeeded") == []
    assert restarts(run(policy, down, COOL + 2 * COOL - 0.01)) == []
    assert [r.attempt for r in restarts(run(policy, down, COOL + 2 * COOL))] == [2]


def test_next_due_names_the_end_of_the_cooldown():
    policy = RestartPolicy(CFG)
    down = verdict("A", "UNHEALTHY", since=0, now=0)
    health = by_source(down)
    policy.step(health, at(1))
    assert policy.next_due(health, at(1)) == at(COOL)


@given(
    st.floats(0.1, 20),
    st.floats(1, 200),
    st.lists(st.floats(0.1, 5), min_size=1, max_size=12),
)
@settings(max_examples=200, deadline=None)
def test_a_crash_loop_waits_longer_each_time_up_to_the_cap(cooldown, cap, lives):
    """The new process dies ``life`` s after each order. Each wait (failure to order)
    is the schedule's: cooldown, doubled every time, capped; the policy's own
    next_due says when (the clock jumps there)."""
    cfg = RestartSettings(cooldown_s=cooldown, backoff_max_s=cap, reset_s=1e6, startup_grace_s=30)
    policy = RestartPolicy(cfg)
    clock = 0.0
    failed_at = 0.0
    health = by_source(verdict("A", "UNHEALTHY", since=0, now=0))
    waits: list[float] = []
    for life in lives:
        order: list[Restart] = []
        for _ in range(3):
            order = restarts(policy.step(health, at(clock)))
            if order:
                break
            due = policy.next_due(health, at(clock))
            assert due is not None
            clock = (due - at(0)).total_seconds()
        waits.append(clock - failed_at)
        assert [o.attempt for o in order] == [len(waits)]
        policy.step(by_source(verdict("A", "RECOVERING", since=clock, now=clock)), at(clock))
        clock += life
        failed_at = clock
        health = by_source(verdict("A", "UNHEALTHY", since=clock, now=clock))
    expected = [backoff_s(n, cooldown, cap) for n in range(1, len(waits) + 1)]
    for got, want in zip(waits, expected, strict=True):
        assert abs(got - want) < 1e-3
    assert all(a <= b + 1e-3 for a, b in itertools.pairwise(waits))
