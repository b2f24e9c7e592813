"""Sources that keep failing: a crash loop, a rejected login, a CTP front that drops
every connection. The system must back off instead of hammering them, never retry a
rejected login (brokers lock an account after a few), and keep the pool served by
the sources that work.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tickhub_contracts.messages import RestartEvent
from tickhub_harness.bare_fronts import Listener
from tickhub_harness.bus_watch import Seen
from tickhub_harness.pool import CANARY, ctp_source, sim_source
from tickhub_markets.calendar import exchange_holidays
from tickhub_markets.sessions import is_open

from .conftest import MakeHub
from .judge import assert_lossless, judge, tail

CRASH_AFTER_S = 1.5
"""Shorter than the failback hold (2 s) and the backoff reset (5 s): the crashing
source never earns the routing back, nor a fresh start of its backoff."""


async def test_a_crash_loop_backs_off_a_rejected_login_waits_for_the_operator(
    make_hub: MakeHub,
) -> None:
    hub = await make_hub(
        [
            # The crashing one is also the slowest, so the good one's copies go out.
            sim_source("crashy", 1, delay_ms=60, crash_after_s=CRASH_AFTER_S),
            sim_source("badlogin", 2, fail_login=True),
            sim_source("good", 3, delay_ms=20),
        ]
    )
    start = await hub.ready(healthy=["good"])

    rejected = await hub.bus.health.wait(
        lambda h: h.source == "badlogin" and h.state == "UNHEALTHY", 20, 0, "badlogin judged"
    )
    assert rejected.value.cause == "login_rejected", rejected.value
    assert rejected.value.needs_operator

    # Three hard restarts of the crashing source, each after a longer wait.
    ordered: list[Seen[RestartEvent]] = []
    for n in range(3):
        seen = await hub.bus.restarts.wait(
            lambda r: r.source == "crashy" and r.action == "ordered",
            40,
            ordered[-1].at_ns + 1 if ordered else 0,
            f"restart {n + 1} of crashy",
        )
        ordered.append(seen)
    end = await tail(hub, 0.5)

    waits = [(b.at_ns - a.at_ns) / 1e9 for a, b in itertools.pairwise(ordered)]
    assert waits[1] > waits[0] + 1.0, f"no backoff between restarts: {waits}"
    backoffs = [
        r.value.next_in_s
        for r in hub.bus.restarts.find(lambda r: r.source == "crashy" and r.action == "backing_off")
    ]
    steps = [b for b in backoffs if b is not None]
    print(f"crashy: waits between restarts {waits}, announced backoffs {steps}")
    assert len(steps) >= 2, hub.bus.restarts.items
    assert all(b >= 1.9 * a for a, b in itertools.pairwise(steps)), steps
    assert hub.bus.health.find(lambda h: h.source == "crashy" and h.state == "RECOVERING"), (
        "a restarted source is RECOVERING until it is HEALTHY"
    )

    about_login = hub.bus.restarts.find(lambda r: r.source == "badlogin")
    assert [r.value.action for r in about_login] == ["needs_operator"], about_login
    assert (
        len({r.value.pid for r in hub.bus.heartbeats.find(lambda b: b.source == "badlogin")}) == 1
    )

    # The pool stayed served all along, by the source that works.
    assert not hub.bus.routes.find(lambda r: r.source == "badlogin")
    assert hub.routed_to("good")
    assert_lossless(judge(hub, start, end), hub)


@pytest.fixture
def dropping_front() -> Iterator[Listener]:
    """A front that accepts and at once closes: vnpy_ctp reports 0x1001 about once a second."""
    front = Listener()
    yield front
    front.close()


async def test_a_ctp_front_dropping_the_connection_fails_over_to_the_sim(
    make_hub: MakeHub, dropping_front: Listener
) -> None:
    # CTP sources are judged by the exchange's sessions: in session a dropped front
    # is a failure; between sessions it is what fronts do (MARKET_CLOSED, no restart).
    in_session = is_open(CANARY, datetime.now(UTC), exchange_holidays())
    hub = await make_hub(
        [ctp_source("ctp-a", 1, [dropping_front.address]), sim_source("sim-b", 2, delay_ms=20)]
    )
    verdict = await hub.bus.health.wait(
        lambda h: h.source == "ctp-a" and h.state not in ("STARTING", "RECOVERING"),
        30,
        0,
        "a verdict on ctp-a",
    )
    assert dropping_front.accepted > 0, "the CTP api never reached its front"
    assert not verdict.value.connected
    if not in_session:
        assert verdict.value.state == "MARKET_CLOSED", verdict.value
        await hub.until(lambda: hub.healthy("sim-b"), 30, "sim-b HEALTHY")
        start = await hub.ticks_flow()
        end = await tail(hub, 3.0)
        assert not hub.bus.restarts.find(lambda r: r.source == "ctp-a"), "restarted off-session"
        assert_lossless(judge(hub, start, end), hub)
        return

    assert (verdict.value.state, verdict.value.cause) == ("UNHEALTHY", "disconnected"), (
        verdict.value
    )
    start = await hub.ready(healthy=["sim-b"])
    first_pid = verdict.value.pid
    assert first_pid is not None
    order = await hub.bus.restarts.wait(
        lambda r: r.source == "ctp-a" and r.action == "ordered",
        30,
        verdict.at_ns,
        "a hard restart of ctp-a",
    )
    await hub.bus.heartbeats.wait(
        lambda b: b.source == "ctp-a" and b.pid != first_pid,
        30,
        order.at_ns,
        "a new ctp-a worker",
    )
    end = await tail(hub)
    assert not hub.bus.routes.find(lambda r: r.source == "ctp-a"), "a dead front was routed"
    assert hub.routed_to("sim-b")
    assert_lossless(judge(hub, start, end), hub)
