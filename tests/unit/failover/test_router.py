"""The failover rules: active, eligible, degraded, hold, events."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts.messages import ROUTABLE_STATES, HealthState, SourceHealth
from tickhub_failover.router import Choice, Router

from .verdicts import ALL, RB, SR, M, at, by_source, verdict

HOLD = 10.0


def router(mode: str = "hot", routes: dict[str, Choice] | None = None) -> Router:
    return Router("cold" if mode == "cold" else "hot", HOLD, dict(routes or {}))


def steady() -> tuple[Router, dict[str, SourceHealth]]:
    """A (priority 1) and B (2) healthy for an hour, both carrying every contract."""
    r = router()
    health = by_source(verdict("A", priority=1), verdict("B", priority=2))
    r.update(health, at(0))
    return r, health


def test_first_routing_takes_the_preferred_source_and_every_routable_one_is_eligible():
    r = router()
    changes = r.update(by_source(verdict("B", priority=2), verdict("A", priority=1)), at(0))
    assert r.routes == {vt: Choice("A", ("A", "B")) for vt in ALL}
    [change] = changes
    assert change.event.kind == "restored"
    assert (change.event.from_source, change.event.to_source) == (None, "A")
    assert change.event.contracts == sorted(ALL)


def test_a_returning_source_is_eligible_at_once_in_hot_mode_but_active_after_the_hold():
    r, _ = steady()
    b = verdict("B", priority=2)
    r.update(by_source(verdict("A", "UNHEALTHY", since=5, now=5), b), at(5))
    r.update(by_source(verdict("A", since=20, now=20, previous="RECOVERING"), b), at(20))
    # Its ticks may go out (first copy wins), but it does not lead yet.
    assert r.routes[RB] == Choice("B", ("A", "B"))


def test_failover_is_immediate_and_says_why():
    r, _ = steady()
    failed = verdict(
        "A", "UNHEALTHY", since=5, now=5, reason="no heartbeat for 1.6 s", detected_ms=1612.0
    )
    changes = r.update(by_source(failed, verdict("B", priority=2)), at(5))
    assert r.routes == {vt: Choice("B", ("B",)) for vt in ALL}
    [change] = changes
    event = change.event
    assert event.kind == "failover" and event.mode == "hot"
    assert (event.from_source, event.to_source) == ("A", "B")
    assert event.contracts == sorted(ALL)
    assert event.cause == "heartbeat_lost" and event.detected_ms == 1612.0
    assert "no heartbeat for 1.6 s" in event.reason and "UNHEALTHY" in event.reason
    assert event.at == at(5) and change.verdict_at == at(5)


def test_failback_waits_for_the_hold_then_is_announced():
    r, _ = steady()
    b = verdict("B", priority=2)
    r.update(by_source(verdict("A", "UNHEALTHY", since=5, now=5), b), at(5))
    back = verdict("A", "HEALTHY", since=20, now=20, previous="RECOVERING")
    assert r.update(by_source(back, b), at(20)) == []
    assert r.update(by_source(back, b), at(20 + HOLD - 0.01)) == []
    assert r.routes[RB] == Choice("B", ("A", "B")), "still B's while A is in its hold"
    [change] = r.update(by_source(back, b), at(20 + HOLD))
    assert change.event.kind == "failback"
    assert (change.event.from_source, change.event.to_source) == ("B", "A")
    assert r.routes == {vt: Choice("A", ("A", "B")) for vt in ALL}
    assert r.next_due(at(20 + HOLD)) is None


def test_a_preferred_source_that_has_just_started_leads_at_once():
    # The hub's own start: the backup was proven first, the preferred one a moment
    # later. It never failed, so there is no flap to guard against.
    r = router()
    b = verdict("B", priority=2, since=1, now=1)
    r.update(by_source(verdict("A", "STARTING", since=0, now=1), b), at(1))
    assert r.routes[RB] == Choice("B", ("B",))
    fresh = verdict("A", "HEALTHY", since=2, now=2, previous="STARTING")
    [change] = r.update(by_source(fresh, b), at(2))
    assert (change.event.from_source, change.event.to_source) == ("B", "A")
    assert r.routes == {vt: Choice("A", ("A", "B")) for vt in ALL}


def test_next_due_is_the_end_of_the_running_hold():
    r, _ = steady()
    b = verdict("B", priority=2)
    r.update(by_source(verdict("A", "UNHEALTHY", since=5, now=5), b), at(5))
    r.update(by_source(verdict("A", since=20, now=20, previous="RECOVERING"), b), at(20))
    assert r.next_due(at(21)) == at(20 + HOLD)


def test_a_hold_is_cut_short_when_the_active_fails():
    r, _ = steady()
    b = verdict("B", priority=2)
    c = verdict("C", priority=3)
    r.update(by_source(verdict("A", "UNHEALTHY", since=5, now=5), b, c), at(5))
    a_back = verdict("A", since=20, now=20, previous="RECOVERING")
    r.update(by_source(a_back, b, c), at(21))
    assert r.routes[RB].active == "B"
    [change] = r.update(
        by_source(a_back, verdict("B", "UNHEALTHY", priority=2, since=22, now=22), c), at(22)
    )
    assert r.routes[RB] == Choice("A", ("A", "C"))
    assert change.event.kind == "failover" and change.event.to_source == "A"


def test_no_routable_source_serves_the_best_degraded_one_marked():
    r, _ = steady()
    health = by_source(
        verdict("A", "UNHEALTHY", since=5, now=5),
        verdict("B", "DEGRADED", priority=2, since=4, now=5),
        verdict("C", "DEGRADED", priority=3, since=4, now=5),
    )
    [change] = r.update(health, at(5))
    assert r.routes[RB] == Choice("B", ("B",), degraded=True)
    assert change.event.kind == "failover" and "the best left" in change.event.reason
    # A routable source ends the degraded routing at once, hold or not.
    health["C"] = verdict("C", priority=3, since=6, now=6, previous="DEGRADED")
    [change] = r.update(health, at(6))
    assert r.routes[RB] == Choice("C", ("C",))
    assert change.event.kind == "restored"


def test_the_degraded_source_serving_stays_while_it_is_degraded():
    r = router("hot", {RB: Choice("C", ("C",), degraded=True)})
    health = by_source(
        verdict("B", "DEGRADED", priority=2, contracts=[RB]),
        verdict("C", "DEGRADED", priority=3, contracts=[RB]),
    )
    assert r.update(health, at(0)) == []
    assert r.routes[RB].active == "C"


def test_no_source_left_removes_the_route_and_says_lost():
    r, _ = steady()
    health = by_source(
        verdict("A", "UNHEALTHY", since=5, now=5),
        verdict("B", "STOPPED", priority=2, since=5, now=5),
    )
    [change] = r.update(health, at(5))
    assert r.routes == {}
    assert change.event.kind == "lost" and change.event.to_source is None
    assert change.event.from_source == "A"


def test_cold_mode_has_one_eligible_source():
    r = router("cold")
    r.update(by_source(verdict("A"), verdict("B", priority=2)), at(0))
    assert r.routes[RB] == Choice("A", ("A",))


def test_market_closed_is_routable_and_keeps_the_hold_running():
    r, _ = steady()
    b = verdict("B", priority=2)
    r.update(by_source(verdict("A", "UNHEALTHY", since=5, now=5), b), at(5))
    r.update(by_source(verdict("A", since=20, now=20, previous="RECOVERING"), b), at(20))
    closed = verdict("A", "MARKET_CLOSED", since=25, now=25, previous="HEALTHY")
    r.update(by_source(closed, b), at(25))
    [change] = r.update(by_source(closed, b), at(20 + HOLD))
    assert change.event.kind == "failback"


def test_a_flap_between_two_verdicts_restarts_the_hold():
    r, _ = steady()
    b = verdict("B", priority=2)
    r.update(by_source(verdict("A", "UNHEALTHY", since=5, now=5), b), at(5))
    r.update(by_source(verdict("A", since=20, now=20, previous="RECOVERING"), b), at(20))
    # It failed and recovered again at 27; we only see the newest verdict.
    again = verdict("A", since=27, now=27, previous="UNHEALTHY")
    assert r.update(by_source(again, b), at(20 + HOLD)) == []
    assert r.routes[RB].active == "B"
    [change] = r.update(by_source(again, b), at(27 + HOLD))
    assert change.event.kind == "failback"


def test_a_restarted_service_keeps_a_routing_that_is_right():
    seeded = {vt: Choice("B", ("A", "B")) for vt in ALL}
    r = Router("hot", HOLD, dict(seeded))
    # A came back 3 s ago: still in its hold, so B keeps the contracts.
    health = by_source(verdict("A", since=-3, now=0), verdict("B", priority=2))
    assert r.update(health, at(0)) == []
    assert r.routes == seeded
    # A source that just changed between routable states stays eligible.
    seeded = {vt: Choice("A", ("A", "B")) for vt in ALL}
    r = Router("hot", HOLD, dict(seeded))
    health = by_source(verdict("A"), verdict("B", "MARKET_CLOSED", priority=2, since=-1, now=0))
    assert r.update(health, at(0)) == []
    assert r.routes == seeded


def test_events_are_grouped_per_move():
    r = router()
    health = by_source(
        verdict("A", contracts=[RB, M]),
        verdict("B", priority=2, contracts=[SR, M]),
        verdict("C", priority=3, contracts=[RB, SR]),
    )
    r.update(health, at(0))
    assert {vt: route.active for vt, route in r.routes.items()} == {RB: "A", M: "A", SR: "B"}
    health["A"] = verdict("A", "UNHEALTHY", contracts=[RB, M], since=1, now=1)
    health["B"] = verdict("B", "UNHEALTHY", priority=2, contracts=[SR, M], since=1, now=1)
    changes = r.update(health, at(1))
    moves = [
        (c.event.kind, c.event.from_source, c.event.to_source, c.event.contracts) for c in changes
    ]
    assert moves == [
        ("failover", "A", "C", [RB]),
        ("failover", "B", "C", [SR]),
        ("lost", "A", None, [M]),
    ]


def test_a_source_that_drops_a_contract_gives_it_up_at_once():
    r, _ = steady()
    health = by_source(verdict("A", contracts=[RB]), verdict("B", priority=2))
    [change] = r.update(health, at(1))
    assert r.routes[M].active == "B" and r.routes[RB].active == "A"
    assert change.event.kind == "failover" and change.event.contracts == sorted([M, SR])
    assert "no longer the choice" in change.event.reason


def test_a_source_no_longer_judged_loses_its_contracts():
    r, _ = steady()
    [change] = r.update(by_source(verdict("B", priority=2)), at(1))
    assert change.event.kind == "failover" and "no longer judged" in change.event.reason
    assert r.routes[RB] == Choice("B", ("B",))


# --- properties -----------------------------------------------------------------

STATES: list[HealthState] = [
    "STARTING",
    "HEALTHY",
    "DEGRADED",
    "UNHEALTHY",
    "RECOVERING",
    "STOPPED",
    "MARKET_CLOSED",
]
NAMES = ["A", "B", "C", "D"]


@st.composite
def health_maps(draw: st.DrawFn) -> dict[str, SourceHealth]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    found = {}
    for name in names:
        found[name] = verdict(
            name,
            draw(st.sampled_from(STATES)),
            priority=draw(st.integers(1, 3)),
            contracts=draw(st.lists(st.sampled_from(ALL), unique=True, max_size=3)),
            since=draw(st.floats(-100, 0)),
            now=0,
        )
    return found


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Choice]:
    table = {}
    for vt in draw(st.lists(st.sampled_from(ALL), unique=True)):
        eligible = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1))
        table[vt] = Choice(eligible[0], tuple(eligible), draw(st.booleans()))
    return table


def check_invariants(r: Router, health: dict[str, SourceHealth]) -> None:
    carried = {vt for v in health.values() for vt in v.contracts}
    for vt, route in r.routes.items():
        active = health[route.active]
        assert vt in active.contracts
        if route.degraded:
            assert active.state == "DEGRADED"
            assert not any(
                vt in v.contracts and v.state in ROUTABLE_STATES for v in health.values()
            )
            assert route.eligible == (route.active,)
        else:
            assert active.state in ROUTABLE_STATES
            assert route.active in route.eligible
            assert all(health[s].state in ROUTABLE_STATES for s in route.eligible)
            assert all(vt in health[s].contracts for s in route.eligible)
            ranks = [(health[s].priority, s) for s in route.eligible]
            assert ranks == sorted(ranks) and len(set(route.eligible)) == len(route.eligible)
            if r.mode == "cold":
                assert route.eligible == (route.active,)
            else:
                routable_carriers = {
                    v.source
                    for v in health.values()
                    if vt in v.contracts and v.state in ROUTABLE_STATES
                }
                assert set(route.eligible) == routable_carriers
    for vt in carried - r.routes.keys():
        assert not any(
            vt in v.contracts and (v.state in ROUTABLE_STATES or v.state == "DEGRADED")
            for v in health.values()
        ), f"{vt} has a usable source but no route"


@given(st.sampled_from(["hot", "cold"]), tables(), st.lists(health_maps(), min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_every_route_is_usable_and_eligibility_is_routable(mode, seed, timeline):
    r = router(mode, seed)
    for step, health in enumerate(timeline):
        r.update(health, at(step))
        check_invariants(r, health)


@given(tables(), st.lists(health_maps(), min_size=1, max_size=5), st.randoms())
@settings(max_examples=200, deadline=None)
def test_the_outcome_does_not_depend_on_the_order_of_the_verdicts(seed, timeline, rnd):
    one, two = router("hot", seed), router("hot", seed)
    for step, health in enumerate(timeline):
        shuffled = list(health.items())
        rnd.shuffle(shuffled)
        assert one.update(health, at(step)) == two.update(dict(shuffled), at(step))
        assert list(one.routes.items()) == list(two.routes.items())
        assert list(one.routes) == sorted(one.routes)


@given(
    st.sampled_from(["hot", "cold"]),
    st.lists(st.tuples(st.floats(0.05, HOLD * 0.95), st.floats(0.05, 30.0)), max_size=12),
    st.integers(1, 4),
)
@settings(max_examples=200, deadline=None)
def test_a_source_flapping_faster_than_the_hold_never_regains_routing(mode, flaps, checks):
    """A (preferred) fails, then alternates HEALTHY (shorter than the hold each time)
    and UNHEALTHY; the router looks at random moments in between: A never becomes
    the active source again, and is eligible only while routable, in hot mode."""
    r = router(mode)
    b = verdict("B", priority=2)
    r.update(by_source(verdict("A"), b), at(0))
    clock = 1.0
    r.update(by_source(verdict("A", "UNHEALTHY", since=clock, now=clock), b), at(clock))
    rnd = random.Random(len(flaps) * 7919 + checks)
    for healthy_s, unhealthy_s in flaps:
        for state, length in (("HEALTHY", healthy_s), ("UNHEALTHY", unhealthy_s)):
            start = clock
            prev: HealthState = "UNHEALTHY" if state == "HEALTHY" else "HEALTHY"
            a = verdict("A", state, since=start, now=start, previous=prev)  # type: ignore[arg-type]
            for offset in sorted(rnd.uniform(0, length * 0.999) for _ in range(checks)):
                r.update(by_source(a, b), at(start + offset))
                for route in r.routes.values():
                    assert route.active == "B"
                    if "A" in route.eligible:
                        assert mode == "hot" and state == "HEALTHY"
            clock += length
