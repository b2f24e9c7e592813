"""The CTP front fails, not the worker: two ``ctp`` accounts on two local fronts.

What a broker's front does to a desk — drops the connection, goes silent — done by
``tickhub ctp-front`` to the real path (vnpy_ctp's CtpGateway, tickhub's stand-in
market-data library). The library reconnects, the gateway logs in again and
subscribes again by CTP's own logic (no hard restart: the cool-down is set out of
reach), and meanwhile the client is served by the other account with nothing lost
and nothing doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tickhub_harness.failover_hub import Hub
from tickhub_harness.failover_stream import NS
from tickhub_harness.pool import CONTRACTS

from .conftest import MakeHub, Pair, ctp_pair
from .judge import STALLED_WITHIN_S, assert_detected, assert_lossless, judge, tail

HEARTBEAT_RECEIVE_TIMEOUT = 0x2001
READ_FAILED = 0x1001
NO_RESTART = {"TICKHUB_RESTART_COOLDOWN_S": "120"}
"""A verdict UNHEALTHY this long gets a hard restart: never, within these tests."""


@dataclass
class Running:
    pair: Pair
    hub: Hub
    start: int
    """When the stream was judged ready (wall clock ns)."""


@pytest.fixture
async def running(make_hub: MakeHub, tmp_path: Path) -> Running:
    """ctp-a and ctp-b on their fronts, every service up, the stream flowing."""
    pair = ctp_pair(tmp_path / "fronts")
    hub = await make_hub(pair.sources, env=NO_RESTART, **pair.hub_kwargs())
    start = await hub.ready()
    await tail(hub, 0.5)
    return Running(pair, hub, start)


async def test_a_dropped_front_is_rejoined_by_ctps_own_logic_while_the_other_account_serves(
    running: Running,
) -> None:
    pair, hub, start = running.pair, running.hub, running.start
    pid = hub.pid_of("ctp-a")

    fault = hub.front_fault("drop", "ctp-a")
    lost = await hub.bus.connections.wait(
        lambda c: c.source == "ctp-a" and c.state == "disconnected",
        10,
        fault.at_ns,
        "ctp-a's library reporting the drop",
    )
    assert lost.value.reason_code == READ_FAILED, lost.value
    moved = await hub.bus.failovers.wait(
        lambda e: e.kind == "failover" and e.from_source == "ctp-a",
        10,
        fault.at_ns,
        "the contracts moving to ctp-b",
    )
    assert moved.value.to_source == "ctp-b" and sorted(moved.value.contracts) == sorted(CONTRACTS)

    # Back by itself: the same process, logged in again, every contract subscribed again.
    back = await hub.bus.connections.wait(
        lambda c: c.source == "ctp-a" and c.state == "connected",
        15,
        lost.at_ns,
        "ctp-a logged in again",
    )
    await hub.bus.failovers.wait(
        lambda e: e.kind == "failback" and e.to_source == "ctp-a",
        30,
        back.at_ns,
        "the failback to ctp-a",
    )
    await hub.serving("ctp-a")
    assert hub.pid_of("ctp-a") == pid, "recovered by a restart, not by CTP's reconnect"
    assert not hub.bus.restarts.find(lambda r: r.source == "ctp-a" and r.action == "ordered")
    status = pair.fronts["ctp-a"].status()
    subscribed = set(status["subscriptions"])
    assert {c.split(".")[0] for c in CONTRACTS} <= subscribed, status

    report = judge(hub, start, await tail(hub))
    assert_lossless(report, hub)
    assert report.sources["ctp-b"] > 0, "ctp-b never carried the stream"


async def test_a_silent_front_is_judged_by_the_canary_then_timed_out_by_the_library(
    running: Running,
) -> None:
    pair, hub, start = running.pair, running.hub, running.start

    # No heartbeat, no tick, the connection open: the front hangs.
    fault = hub.front_fault("silence", "ctp-a")
    seconds, verdict = await hub.detected(fault)
    assert_detected(seconds, STALLED_WITHIN_S, fault, hub)
    assert verdict.cause == "canary_stale", verdict
    # CTP's library gives the link up after the front's timeout (3 s here): 0x2001.
    timed_out = await hub.bus.connections.wait(
        lambda c: c.source == "ctp-a" and c.state == "disconnected",
        fault_front_timeout(pair) + 10,
        fault.at_ns,
        "the library's heartbeat timeout",
    )
    assert timed_out.value.reason_code == HEARTBEAT_RECEIVE_TIMEOUT, timed_out.value
    waited = (timed_out.at_ns - fault.at_ns) / NS
    assert waited >= fault_front_timeout(pair) - 0.5, f"timed out after {waited:.2f} s"

    pair.fronts["ctp-a"].fault("clear")
    await hub.bus.failovers.wait(
        lambda e: e.kind == "failback" and e.to_source == "ctp-a",
        40,
        timed_out.at_ns,
        "the failback to ctp-a",
    )
    report = judge(hub, start, await tail(hub))
    assert_lossless(report, hub)


def fault_front_timeout(pair: Pair) -> float:
    """The silence after which the stand-in library gives the front up (its HELLO)."""
    return float(pair.fronts["ctp-a"].timeout_s)
