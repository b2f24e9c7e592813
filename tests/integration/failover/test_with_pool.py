"""The whole chain with real parts: a GatewayManager running sim workers, the health
service judging them, the failover service routing and restarting, on a real
nats-server. A worker is SIGKILLed; the routing must move, the failover service must
have it restarted, and the contracts must come back to it after the hold."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from nats.aio.client import Client

from tickhub_contracts import subjects
from tickhub_contracts.messages import (
    FailoverEvent,
    GatewayStatus,
    Heartbeat,
    RestartEvent,
    SourceConfig,
    SourceHealth,
    contracts_digest,
)
from tickhub_failover.app import FailoverService
from tickhub_gateway.manager import GatewayManager
from tickhub_health.app import HealthService
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

from ..gateway.conftest import CONTRACTS, START_TIMEOUT, Inbox, inbox, sim
from .conftest import table, wait_routes

pytestmark = pytest.mark.integration

READY_S = START_TIMEOUT + 20.0
"""Spawn to both sources HEALTHY and routed, on a loaded machine."""
HOLD_S = 2.0


@dataclass
class Chain:
    settings: Settings
    manager: GatewayManager
    failovers: Inbox[FailoverEvent]
    restarts: Inbox[RestartEvent]
    verdicts: Inbox[SourceHealth]
    statuses: Inbox[GatewayStatus]
    beats: Inbox[Heartbeat]

    def pid(self, name: str) -> int:
        status = self.manager.status(name)
        assert status is not None and status.pid is not None
        return status.pid


@asynccontextmanager
async def running(
    settings: Settings, nc: Client, mode: str, configs: list[SourceConfig]
) -> AsyncIterator[Chain]:
    tuned = settings.model_copy(
        update={
            "failover_mode": mode,
            "restart_grace_s": 2.0,
            "status_interval_s": 1.0,
            "health_check_interval_s": 0.1,
            "health_publish_s": 1.0,
            "startup_grace_s": 30.0,
            "failback_hold_s": HOLD_S,
            "restart_cooldown_s": 0.5,
            "restart_backoff_max_s": 4.0,
        }
    )
    boxes = (
        await inbox(nc, subjects.FAILOVER_EVENT, FailoverEvent),
        await inbox(nc, subjects.RESTART_ALL, RestartEvent),
        await inbox(nc, subjects.HEALTH_ALL, SourceHealth),
        await inbox(nc, subjects.STATUS_ALL, GatewayStatus),
        await inbox(nc, subjects.HEARTBEAT_ALL, Heartbeat),
    )
    # Each service on its own connection, as if in its own process.
    manager_nc = await bus.connect(tuned, "test-manager")
    health_nc = await bus.connect(tuned, "test-health")
    failover_nc = await bus.connect(tuned, "test-failover")
    manager = GatewayManager(tuned, manager_nc)
    health = HealthService(tuned, health_nc)
    failover = FailoverService(tuned, failover_nc, assign_period_s=1.0)
    await manager.start()
    await health.start()
    await failover.start()
    try:
        await manager.apply(configs)
        yield Chain(tuned, manager, *boxes)
    finally:
        await failover.close()
        await health.close()
        await manager.close()
        for client in (failover_nc, health_nc, manager_nc):
            await client.drain()


def routed_to(source: str, eligible: list[str]) -> dict[str, tuple[str, list[str], bool]]:
    return {vt: (source, eligible, False) for vt in CONTRACTS}


@pytest.fixture(params=["hot", "cold"])
async def chain(
    request: pytest.FixtureRequest, settings: Settings, nc: Client
) -> AsyncIterator[Chain]:
    async with running(settings, nc, request.param, [sim("sim-a", 1), sim("sim-b", 2)]) as found:
        yield found


async def test_a_killed_primary_fails_over_is_restarted_and_gets_its_contracts_back(
    nc: Client, chain: Chain
):
    hot = chain.settings.failover_mode == "hot"
    both = routed_to("sim-a", ["sim-a", "sim-b"] if hot else ["sim-a"])
    await wait_routes(nc, lambda r: table(r) == both, within=READY_S)
    if not hot:
        # Cold: only the active source holds the contracts besides its canary.
        a_pid = chain.pid("sim-a")
        await chain.beats.wait_for(
            lambda b: b.pid == a_pid and b.subscribed_digest == contracts_digest(CONTRACTS)
        )
        await chain.beats.wait_for(
            lambda b: (
                b.source == "sim-b" and b.subscribed_digest == contracts_digest(["rb2605.SHFE"])
            )
        )

    old_pid = chain.pid("sim-a")
    seen = len(chain.failovers.items)
    killed = time.monotonic()
    os.kill(old_pid, signal.SIGKILL)

    moved = await chain.failovers.wait_for(lambda e: e.kind == "failover", after=seen)
    moved_s = time.monotonic() - killed
    assert (moved.from_source, moved.to_source) == ("sim-a", "sim-b")
    assert moved.contracts == sorted(CONTRACTS)
    assert moved.cause in ("process_exited", "heartbeat_lost"), moved
    assert moved.detected_ms is not None and moved.detected_ms < 2000, moved
    assert moved_s < 4.0, f"routing moved {moved_s:.2f} s after the kill"
    await wait_routes(nc, lambda r: table(r) == routed_to("sim-b", ["sim-b"]), within=5)
    if not hot:
        # sim-b is told to take the contracts (canary plus all of them).
        await chain.beats.wait_for(
            lambda b: b.source == "sim-b" and b.subscribed_digest == contracts_digest(CONTRACTS)
        )

    ordered = await chain.restarts.wait_for(lambda e: e.action == "ordered" and e.source == "sim-a")
    assert ordered.attempt == 1
    back = await chain.statuses.wait_for(
        lambda s: s.source == "sim-a" and s.pid not in (None, old_pid) and s.connected,
        within=START_TIMEOUT,
    )
    assert back.restarts >= 1
    await chain.restarts.wait_for(
        lambda e: e.action == "succeeded" and e.source == "sim-a", within=START_TIMEOUT
    )
    healthy = await chain.verdicts.wait_for(
        lambda v: v.source == "sim-a" and v.state == "HEALTHY" and v.pid == back.pid,
        within=START_TIMEOUT,
    )
    failback = await chain.failovers.wait_for(
        lambda e: e.kind == "failback", after=seen, within=START_TIMEOUT
    )
    assert (failback.from_source, failback.to_source) == ("sim-b", "sim-a")
    held = (failback.at - healthy.since).total_seconds()
    assert held >= HOLD_S - 0.05, f"failed back {held:.2f} s after sim-a became HEALTHY"
    await wait_routes(nc, lambda r: table(r) == both, within=5)
    if not hot:
        new_pid = back.pid
        await chain.beats.wait_for(
            lambda b: b.pid == new_pid and b.subscribed_digest == contracts_digest(CONTRACTS)
        )
        await chain.beats.wait_for(
            lambda b: (
                b.source == "sim-b" and b.subscribed_digest == contracts_digest(["rb2605.SHFE"])
            ),
            after=len(chain.beats.items),
        )
    # One restart was enough: no second attempt, nothing refused.
    actions = [(e.source, e.action) for e in chain.restarts.values]
    assert actions == [("sim-a", "ordered"), ("sim-a", "succeeded")], actions


async def test_a_rejected_login_is_left_to_the_operator_while_the_backup_serves(
    nc: Client, settings: Settings
):
    pool = [sim("sim-a", 1, fail_login=True), sim("sim-b", 2)]
    async with running(settings, nc, "hot", pool) as chain:
        await wait_routes(nc, lambda r: table(r) == routed_to("sim-b", ["sim-b"]), within=READY_S)
        told = await chain.restarts.wait_for(lambda e: e.source == "sim-a", within=READY_S)
        assert told.action == "needs_operator" and "login_rejected" in told.reason
        # The health service repeats its verdict every second; give the failover
        # service many cool-downs' worth of them to (wrongly) restart or repeat.
        after = len(chain.verdicts.items)
        await chain.verdicts.wait_count(
            lambda v: v.source == "sim-a" and v.cause == "login_rejected", 4, within=15, after=after
        )
        assert [(e.source, e.action) for e in chain.restarts.values] == [
            ("sim-a", "needs_operator")
        ]
        status = chain.manager.status("sim-a")
        assert status is not None and status.restarts == 0
        assert table(await wait_routes(nc, bool)) == routed_to("sim-b", ["sim-b"])


async def test_a_crash_looping_source_is_restarted_with_growing_waits_and_never_leads_again(
    nc: Client, settings: Settings
):
    pool = [sim("sim-a", 1, crash_after_s=1.0), sim("sim-b", 2)]
    async with running(settings, nc, "hot", pool) as chain:
        waits = []
        for attempt in (2, 3):

            def backing_off(e: RestartEvent, n: int = attempt) -> bool:
                return e.action == "backing_off" and e.attempt == n

            waits.append((await chain.restarts.wait_for(backing_off, within=READY_S)).next_in_s)
        cool = chain.settings.restart_cooldown_s
        assert waits[0] is not None and abs(waits[0] - 2 * cool) < 0.3, waits
        assert waits[1] is not None and abs(waits[1] - 4 * cool) < 0.3, waits
        await chain.restarts.wait_for(lambda e: e.action == "ordered" and e.attempt == 3)
        # sim-b serves; sim-a never took the lead back once it had failed (its lives
        # are shorter than the hold), though while HEALTHY its ticks may have gone out
        # beside sim-b's. Before its first failure it may lead once: when sim-b's worker
        # is HEALTHY first at the start, sim-a, just started, takes over at once.
        failed_at = min(e.at for e in chain.restarts.values if e.source == "sim-a")
        assert not [e for e in chain.failovers.values if e.kind == "failback" and e.at >= failed_at]
        # (all() of an empty table is true: the whole table must be there, on sim-b)
        await wait_routes(
            nc, lambda r: set(r) == set(CONTRACTS) and all(x.source == "sim-b" for x in r.values())
        )
