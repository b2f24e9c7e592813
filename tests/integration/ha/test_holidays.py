"""Holidays out of the box: the real gateway, health and failover services, as OS
processes, with two ctp sources whose fronts do not answer (a closed port, as a
broker's front is on a holiday), through the eve of National Day 2026 and the holiday
itself, with no holiday configured: MARKET_CLOSED all along and no hard restart. Then
the first trading day after, where the same dead fronts are a failure and get
restarted, which shows the rig would have caught a hub that thought the exchanges open.

How the test picks the market's time: the health service runs with
``TICKHUB_MARKET_CLOCK_OFFSET_S`` (a rehearsal setting, 0 in production), the distance
from now to the chosen instant, so it judges sessions and holidays as if the clock
read then; heartbeats, ages and timeouts keep the real clock, and the other services
do not read it. Each instant is a fresh health process (the bucket carries the
verdicts over a restart, as in production). Every wait is on a message, bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pytest

from tickhub_contracts.messages import Connection, SourceHealth
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_harness.bare_fronts import closed_port
from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Hub
from tickhub_harness.pool import ctp_source

from .conftest import MakeHub

pytestmark = pytest.mark.integration

OFFSET = "TICKHUB_MARKET_CLOCK_OFFSET_S"
EVE = datetime(2026, 9, 30, 21, 30, tzinfo=CHINA_TZ)
"""Wednesday: an ordinary Wednesday has its night session (the harness's canary,
au2602.SHFE, 21:00-02:30)."""
HOLIDAY = datetime(2026, 10, 1, 10, 0, tzinfo=CHINA_TZ)
"""Thursday, National Day: an ordinary Thursday's day session."""
FIRST_DAY_BACK = datetime(2026, 10, 8, 9, 30, tzinfo=CHINA_TZ)
SOURCES = ("ctp-a", "ctp-b")
HOLD_S = 2.5
"""How long each closed stretch is watched: longer than the restart cool-down (1 s in
the hub's FAST settings), so a hub that judged the source UNHEALTHY would have
restarted it meanwhile."""
JUDGED_S = 30.0
"""From a service's start to its verdicts on sources it must first hear of."""


def offset_to(instant: datetime) -> str:
    return f"{(instant - datetime.now(UTC)).total_seconds():.3f}"


async def judge_at(hub: Hub, instant: datetime) -> int:
    """A fresh health process judging the market at ``instant``; when it started."""
    health = hub.services["health"]
    await health.stop()
    health.env = {**health.env, OFFSET: offset_to(instant)}
    mark = now_ns()
    health.start()
    return mark


def down_and_closed(name: str) -> Callable[[SourceHealth], bool]:
    def check(h: SourceHealth) -> bool:
        return (
            h.source == name
            and h.state == "MARKET_CLOSED"
            and not h.connected
            and h.reason.endswith("(disconnected between sessions)")
        )

    return check


def reported_down(name: str, connection: Connection) -> bool:
    return connection.source == name and connection.state == "disconnected"


def of(name: str) -> Callable[[SourceHealth], bool]:
    return lambda h: h.source == name


async def closed_throughout(hub: Hub, mark: int, what: str) -> None:
    """Each source MARKET_CLOSED with its front down, for HOLD_S more, and nothing else."""
    for name in SOURCES:
        first = await hub.bus.health.wait(
            down_and_closed(name), JUDGED_S, mark, f"{name} MARKET_CLOSED, front down, {what}"
        )
        assert first.value.calendar_warning == "", first.value  # 2026 is known
        later = first.at_ns + round(HOLD_S * 1e9)
        await hub.bus.health.wait(of(name), JUDGED_S, later, f"{name} {HOLD_S} s later")
    since_mark = [s.value for s in hub.bus.health.items if s.at_ns >= mark]
    assert {(v.state, v.cause) for v in since_mark} <= {
        ("MARKET_CLOSED", "market_closed"),
        ("STARTING", "starting"),
    }, since_mark
    assert not hub.bus.restarts.items, f"restarted on {what}: {hub.bus.restarts.items}"
    assert all(v.restarts == 0 for v in since_mark), since_mark


async def test_a_holiday_eve_and_a_holiday_with_the_fronts_down_restart_nothing(
    make_hub: MakeHub,
) -> None:
    dead = f"tcp://127.0.0.1:{closed_port()}"
    sources = [ctp_source(name, n, [dead]) for n, name in enumerate(SOURCES, start=1)]
    hub = await make_hub(
        sources,
        services=("gateway", "health", "failover"),
        env={OFFSET: offset_to(EVE)},
    )
    # The eve: no night session, as the calendar says; no holiday was configured.
    for name in SOURCES:
        await hub.bus.connections.wait(
            partial(reported_down, name), JUDGED_S, 0, f"{name}'s front reported down"
        )
    await closed_throughout(hub, 0, "the eve of National Day")

    # National Day, in what would be the day session.
    await closed_throughout(hub, await judge_at(hub, HOLIDAY), "National Day")

    # The first trading day after: the same dead fronts are a failure now.
    mark = await judge_at(hub, FIRST_DAY_BACK)
    failed = await hub.bus.health.wait(
        lambda h: h.state == "UNHEALTHY", JUDGED_S, mark, "a dead front judged in session"
    )
    assert (failed.value.cause, failed.value.in_session) == ("disconnected", True)
    await hub.bus.restarts.wait(
        lambda r: r.action == "ordered", JUDGED_S, mark, "a hard restart in session"
    )
