"""Invariants of the health machine over random sequences of what the bus may say."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts.messages import ConnectionState, ProcessState, SourceHealth, TradingHours
from tickhub_markets.sessions import is_open

from .rig import THRESHOLDS, WED_1000, Rig

Event = tuple[object, ...]

good = st.tuples(st.just("good"), st.floats(min_value=0.05, max_value=1.0))
"""Time passes while all is well: a beat, a canary tick, a running status."""

events = st.one_of(
    good,
    good,
    good,
    good,
    st.tuples(st.just("advance"), st.floats(min_value=0.05, max_value=4.0)),
    st.tuples(st.just("advance_long"), st.floats(min_value=60.0, max_value=6 * 3600.0)),
    st.tuples(st.just("beat"), st.booleans(), st.sampled_from(["current", "other"])),
    st.tuples(
        st.just("conn"),
        st.sampled_from(["connecting", "connected", "disconnected", "login_failed"]),
        st.sampled_from([None, 3, 4097, 0x3002]),
    ),
    st.tuples(
        st.just("status"),
        st.sampled_from(["starting", "running", "stopping", "stopped", "exited", "hung"]),
        st.booleans(),
        st.sampled_from(["", "hard restart by failover", "disabled", "killed by SIGKILL"]),
    ),
    st.tuples(st.just("new_process")),
    st.tuples(st.just("canary")),
    st.tuples(st.just("lag"), st.one_of(st.none(), st.floats(min_value=0, max_value=2000))),
    st.tuples(st.just("removed")),
)

# Starts spread over a week (in and out of sessions, weekend included).
starts = st.integers(min_value=0, max_value=7 * 24 * 3600).map(
    lambda s: WED_1000 + dt.timedelta(seconds=s)
)


@dataclass
class Facts:
    """What the test itself knows happened, to check verdicts against."""

    accepted_beat_at: dt.datetime | None = None
    removed: bool = False
    stop_status: bool = False
    manual: bool = False
    restored_until: dt.datetime | None = None
    """A verdict carried on from the bucket may stand without a heartbeat until then."""
    restored_state: str | None = None


def play(rig: Rig, event: Event, facts: Facts) -> None:
    kind = event[0]
    if kind == "good":
        rig.now += dt.timedelta(seconds=float(event[1]))  # type: ignore[arg-type]
        if rig.beat():
            facts.accepted_beat_at = rig.now
        rig.connection("connected")
        rig.canary_tick()
        if not facts.stop_status and not facts.removed:
            rig.status()
    elif kind in ("advance", "advance_long"):
        rig.now += dt.timedelta(seconds=float(event[1]))  # type: ignore[arg-type]
    elif kind == "beat":
        pid = rig.pid if event[2] == "current" else rig.pid + 1000
        if rig.beat(connected=bool(event[1]), pid=pid):
            facts.accepted_beat_at = rig.now
    elif kind == "conn":
        state: ConnectionState = event[1]  # type: ignore[assignment]
        rig.connection(state, event[2])  # type: ignore[arg-type]
    elif kind == "status":
        pstate: ProcessState = event[1]  # type: ignore[assignment]
        manual = bool(event[2]) and pstate in ("stopping", "stopped")
        alive = pstate in ("starting", "running", "hung", "stopping")
        rig.status(pstate, pid=alive, manual_stop=manual, reason=str(event[3]))
        facts.removed = False
        facts.stop_status = manual or pstate in ("stopping", "stopped")
        facts.manual = manual
    elif kind == "new_process":
        rig.new_process()
        facts.removed = False
        facts.stop_status = facts.manual = False
    elif kind == "canary":
        rig.canary_tick()
    elif kind == "lag":
        rig.machine.on_lag(event[1])  # type: ignore[arg-type]
    elif kind == "removed":
        rig.machine.removed(rig.now)
        facts.removed = True


def check(rig: Rig, facts: Facts, before: str, change: object) -> None:
    verdict = rig.machine.verdict
    report = rig.machine.report(rig.now)
    # every verdict has a reason, and a change says where it came from and when
    assert verdict.reason
    if change is not None:
        assert change is verdict
        if verdict.state != before:
            assert verdict.previous == before
            assert verdict.since == rig.now
    # never HEALTHY (nor DEGRADED) without a heartbeat within the timeout
    carried_on = (
        facts.accepted_beat_at is None
        and facts.restored_until is not None
        and rig.now <= facts.restored_until
        and verdict.state == facts.restored_state
    )
    if verdict.state in ("HEALTHY", "DEGRADED") and not carried_on:
        assert facts.accepted_beat_at is not None
        age = (rig.now - facts.accepted_beat_at).total_seconds()
        assert age <= THRESHOLDS.heartbeat_timeout_s
        assert report.connected
    # never UNHEALTHY for a stale canary while its session is closed
    if verdict.state == "UNHEALTHY" and verdict.cause == "canary_stale":
        restarting = verdict.reason.startswith("hard restart")
        assert restarting or rig.trading_hours == "always" or is_open(rig.canary, rig.now)
        assert report.in_session or restarting
    # MARKET_CLOSED only when the session is closed
    if verdict.state == "MARKET_CLOSED" and not carried_on:
        assert rig.trading_hours == "exchange" and not is_open(rig.canary, rig.now)
    # the operator flag is for rejected logins only
    assert verdict.needs_operator == (
        verdict.state == "UNHEALTHY" and verdict.cause == "login_rejected"
    )
    # STOPPED only by intent: a stop status or a removal, never a silent manager
    if verdict.state == "STOPPED":
        assert facts.removed or facts.stop_status or facts.restored_state == "STOPPED"
    if facts.removed:
        assert verdict.state == "STOPPED"
    if facts.manual and rig.machine.status_heard_at == rig.now:
        assert verdict.state == "STOPPED"
    # an UNHEALTHY verdict says how long its detection took; others do not
    if verdict.state == "UNHEALTHY" and verdict.previous not in (None, "UNHEALTHY"):
        assert verdict.detected_ms is not None and verdict.detected_ms >= 0
    if verdict.state != "UNHEALTHY":
        assert verdict.detected_ms is None
    # state and cause belong together
    pairs = {
        "STARTING": {"starting"},
        "RECOVERING": {"recovering"},
        "HEALTHY": {"ok"},
        "MARKET_CLOSED": {"market_closed"},
        "STOPPED": {"stopped"},
        "DEGRADED": {"lagging", "canary_stale"},
    }
    if verdict.state in pairs:
        assert verdict.cause in pairs[verdict.state]


@settings(max_examples=400, deadline=None)
@given(
    starts,
    st.sampled_from(["always", "exchange"]),
    st.sampled_from(["rb2605.SHFE", "au2602.SHFE", "IF2512.CFFEX", "AP605.CZCE"]),
    st.lists(events, min_size=1, max_size=60),
)
def test_invariants_hold_for_any_sequence(
    start: dt.datetime, hours: TradingHours, canary: str, sequence: list[Event]
) -> None:
    rig = Rig(start, trading_hours=hours, canary=canary)
    facts = Facts()
    rig.status("starting", connection="disconnected")
    for event in sequence:
        play(rig, event, facts)
        before = rig.machine.verdict.state
        change = rig.evaluate()
        check(rig, facts, before, change)


@settings(max_examples=200, deadline=None)
@given(st.lists(events, min_size=1, max_size=40))
def test_no_change_without_news(sequence: list[Event]) -> None:
    """Evaluating twice at the same instant never changes the verdict twice."""
    rig = Rig()
    facts = Facts()
    rig.status("starting", connection="disconnected")
    for event in sequence:
        play(rig, event, facts)
        rig.evaluate()
        first = rig.machine.verdict
        rig.evaluate()
        second = rig.machine.verdict
        assert (first.state, first.cause, first.since) == (second.state, second.cause, second.since)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.05, max_value=1.0), min_size=5, max_size=80))
def test_a_source_that_beats_and_ticks_stays_healthy(gaps: list[float]) -> None:
    """Beats and canary ticks never further apart than allowed: never a failure."""
    rig = Rig()
    rig.bring_up()
    assert rig.state == "HEALTHY"
    for gap in gaps:
        rig.tick(gap)
        rig.beat()
        rig.canary_tick()
        rig.status()
        rig.evaluate()
        assert rig.state == "HEALTHY"


restorable = st.sampled_from(
    [
        ("HEALTHY", "ok"),
        ("DEGRADED", "lagging"),
        ("MARKET_CLOSED", "market_closed"),
        ("UNHEALTHY", "heartbeat_lost"),
        ("UNHEALTHY", "login_rejected"),
        ("STOPPED", "stopped"),
        ("STARTING", "starting"),
        ("RECOVERING", "recovering"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    starts,
    st.sampled_from(["always", "exchange"]),
    restorable,
    st.lists(events, min_size=1, max_size=50),
)
def test_invariants_hold_after_a_restart_of_the_service(
    start: dt.datetime,
    hours: TradingHours,
    restored: tuple[str, str],
    sequence: list[Event],
) -> None:
    state, cause = restored
    health = SourceHealth(
        source="sim-a",
        state=state,  # type: ignore[arg-type]
        cause=cause,  # type: ignore[arg-type]
        reason="from before",
        at=start - dt.timedelta(seconds=5),
        since=start - dt.timedelta(hours=1),
        pid=100,
        connected=state in ("HEALTHY", "DEGRADED", "MARKET_CLOSED"),
        canary="rb2605.SHFE",
        needs_operator=cause == "login_rejected",
        # what the bucket cannot say, its gateway type implies: ctp trades in sessions
        gateway_type="sim" if hours == "always" else "ctp",
    )
    rig = Rig(start, trading_hours=hours, restored=health)
    grace = dt.timedelta(seconds=THRESHOLDS.first_beat_grace_s)
    facts = Facts(restored_until=start + grace, restored_state=state)
    for event in sequence:
        play(rig, event, facts)
        if facts.removed or facts.stop_status:
            facts.restored_state = None
        before = rig.machine.verdict.state
        change = rig.evaluate()
        if change is not None:
            facts.restored_state = None  # the carried verdict is gone
        check(rig, facts, before, change)
