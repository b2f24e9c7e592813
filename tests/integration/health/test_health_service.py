"""The health service against real sim workers under a real GatewayManager and a
real nats-server: every verdict is awaited on tickhub.health.<source>."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.gateway.conftest import command, sim
from tickhub_contracts import buckets, codec
from tickhub_contracts.messages import SourceHealth
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime import kv

from .conftest import VERDICT_TIMEOUT, Rig, run, state

pytestmark = pytest.mark.integration

DETECT_DEAD_S = 2.0
"""The issue's bound for a dead or hung worker."""


async def bucket_verdicts(rig: Rig) -> dict[str, SourceHealth]:
    bucket = await kv.open_bucket(rig.nc, buckets.HEALTH, create=False)
    return {k: codec.decode(v, SourceHealth) for k, v in (await kv.snapshot(bucket)).items()}


async def bucket_until(rig: Rig, check: object, within: float = 10.0) -> dict[str, SourceHealth]:
    """Poll the bucket (no message says it was written) until ``check`` holds."""
    assert callable(check)
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await bucket_verdicts(rig)
        if check(found):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"bucket never matched; last: {found}")
        await asyncio.sleep(0.1)


async def test_sources_become_healthy_the_bucket_holds_them_and_a_removed_one_goes(
    rig: Rig,
) -> None:
    await run(rig, [sim("sim-a", 1), sim("sim-b", 2)])
    verdict = await rig.verdict("sim-a", lambda v: v.state == "HEALTHY" and v.lag_ms is not None)
    assert verdict.cause == "ok" and verdict.connected and verdict.in_session
    assert verdict.gateway_type == "sim" and verdict.priority == 1
    assert verdict.contracts == ["SR605.CZCE", "m2605.DCE", "rb2605.SHFE"]
    assert verdict.canary == "rb2605.SHFE" and verdict.pid == rig.pid("sim-a")
    assert verdict.canary_age_s is not None and verdict.canary_age_s < 3.0
    assert verdict.heartbeat_age_s is not None and verdict.heartbeat_age_s < 1.5
    assert verdict.lag_ms is not None and verdict.lag_ms < 500.0
    both = {"sim-a": "HEALTHY", "sim-b": "HEALTHY"}
    found = await bucket_until(rig, lambda f: {k: v.state for k, v in f.items()} == both)
    assert found["sim-b"].priority == 2

    # sim-b leaves the pool: STOPPED, then its key is deleted.
    mark = len(rig.verdicts.items)
    await rig.manager.apply([sim("sim-a", 1)])
    gone = await rig.next_verdict("sim-b", state("STOPPED"), mark)
    assert gone.cause == "stopped"
    await bucket_until(rig, lambda f: set(f) == {"sim-a"}, within=15.0)


async def test_a_killed_worker_is_unhealthy_within_2s_and_a_restart_recovers(rig: Rig) -> None:
    await run(rig, [sim("sim-a")])
    mark = len(rig.verdicts.items)
    killed_at = datetime.now(UTC)
    os.kill(rig.pid("sim-a"), signal.SIGKILL)
    verdict = await rig.next_verdict("sim-a", state("UNHEALTHY"), mark)
    assert verdict.cause in ("process_exited", "heartbeat_lost")
    assert (verdict.at - killed_at).total_seconds() < DETECT_DEAD_S
    assert verdict.detected_ms is not None and verdict.previous == "HEALTHY"
    assert "SIGKILL" in verdict.reason or verdict.cause == "heartbeat_lost"

    mark = len(rig.verdicts.items)
    reply = await command(rig.nc, "sim-a", "restart", by="test")
    assert reply.ok, reply.error
    recovering = await rig.next_verdict("sim-a", state("RECOVERING"), mark, VERDICT_TIMEOUT)
    healthy = await rig.next_verdict("sim-a", state("HEALTHY"), mark, VERDICT_TIMEOUT)
    assert recovering.at <= healthy.at and healthy.previous == "RECOVERING"
    assert healthy.restarts == 1


async def test_a_frozen_worker_is_heartbeat_lost_and_recovers_when_thawed(rig: Rig) -> None:
    await run(rig, [sim("sim-a")])
    mark = len(rig.verdicts.items)
    frozen_at = datetime.now(UTC)
    pid = rig.freeze("sim-a")
    first = await rig.next_verdict("sim-a", state("UNHEALTHY"), mark)
    assert first.cause in ("heartbeat_lost", "process_hung")
    assert (first.at - frozen_at).total_seconds() < DETECT_DEAD_S + 0.5
    await rig.next_verdict("sim-a", lambda v: v.cause == "heartbeat_lost", mark)

    mark = len(rig.verdicts.items)
    os.kill(pid, signal.SIGCONT)
    await rig.next_verdict("sim-a", state("RECOVERING"), mark)
    await rig.next_verdict("sim-a", state("HEALTHY"), mark)


async def test_a_stalled_feed_is_canary_stale_within_the_canary_timeout(rig: Rig) -> None:
    await run(rig, [sim("sim-a")])
    mark = len(rig.verdicts.items)
    stalled_at = datetime.now(UTC)
    reply = await command(rig.nc, "sim-a", "fault", fault="stall")
    assert reply.ok, reply.error
    degraded = await rig.next_verdict("sim-a", state("DEGRADED"), mark)
    assert degraded.cause == "canary_stale" and degraded.connected
    verdict = await rig.next_verdict("sim-a", state("UNHEALTHY"), mark)
    assert verdict.cause == "canary_stale" and verdict.connected and verdict.in_session
    timeout = rig.settings.canary_timeout_s
    assert (verdict.at - stalled_at).total_seconds() < timeout + 1.0
    assert verdict.detected_ms is not None and verdict.detected_ms >= timeout * 1000

    mark = len(rig.verdicts.items)
    reply = await command(rig.nc, "sim-a", "fault", fault="resume")
    assert reply.ok, reply.error
    await rig.next_verdict("sim-a", state("HEALTHY"), mark)


async def test_a_rejected_login_needs_the_operator(rig: Rig) -> None:
    await rig.start_health()
    await rig.manager.apply([sim("sim-x", fail_login=True)])
    verdict = await rig.verdict("sim-x", state("UNHEALTHY"), VERDICT_TIMEOUT)
    assert verdict.cause == "login_rejected" and verdict.needs_operator
    assert not verdict.connected


async def test_a_stop_is_stopped_and_a_start_is_starting_then_healthy(rig: Rig) -> None:
    await run(rig, [sim("sim-a")])
    mark = len(rig.verdicts.items)
    reply = await command(rig.nc, "sim-a", "stop")
    assert reply.ok, reply.error
    stopped = await rig.next_verdict("sim-a", state("STOPPED"), mark)
    assert stopped.cause == "stopped" and "operator" in stopped.reason and stopped.pid is None
    # it stays STOPPED: the periodic verdicts say so, nothing calls it lost
    later = await rig.verdicts.wait_count(
        lambda v: v.source == "sim-a", 3, within=10.0, after=len(rig.verdicts.items)
    )
    assert {v.state for v in later} == {"STOPPED"}

    mark = len(rig.verdicts.items)
    reply = await command(rig.nc, "sim-a", "start")
    assert reply.ok, reply.error
    await rig.next_verdict("sim-a", state("STARTING"), mark)
    healthy = await rig.next_verdict("sim-a", state("HEALTHY"), mark, VERDICT_TIMEOUT)
    assert healthy.previous == "STARTING"


async def test_a_restarted_health_service_keeps_the_verdicts(rig: Rig) -> None:
    await run(rig, [sim("sim-a", 1), sim("sim-b", 2)])
    before = await bucket_until(
        rig, lambda f: {v.state for v in f.values()} == {"HEALTHY"} and len(f) == 2
    )
    await rig.stop_health()

    mark = len(rig.verdicts.items)
    await rig.start_health()
    # Several rounds of verdicts from each source, carried on from the bucket:
    after = await rig.verdicts.wait_count(
        lambda v: v.source in ("sim-a", "sim-b"), 8, within=15.0, after=mark
    )
    assert [v.state for v in after] == ["HEALTHY"] * len(after)
    for verdict in after:
        assert verdict.since == before[verdict.source].since
    assert rig.health is not None
    assert {m.verdict.state for m in rig.health.machines.values()} == {"HEALTHY"}


async def test_a_slow_copy_of_the_same_ticks_is_degraded_lagging(rig: Rig) -> None:
    await run(rig, [sim("sim-a", 1), sim("sim-b", 2, delay_ms=800)])
    verdict = await rig.verdict("sim-b", lambda v: v.state == "DEGRADED", VERDICT_TIMEOUT)
    assert verdict.cause == "lagging"
    assert verdict.lag_ms is not None and verdict.lag_ms > rig.settings.lag_degraded_ms
    fast = await rig.verdict("sim-a", lambda v: v.lag_ms is not None)
    assert fast.lag_ms is not None and fast.lag_ms < 100.0
    assert fast.state == "HEALTHY"


async def test_canary_silence_outside_the_session_is_market_closed(rig: Rig) -> None:
    # Holidays around today in Shanghai: no session at all, whatever the time now.
    today = datetime.now(CHINA_TZ).date()
    rig.settings = rig.settings.model_copy(
        update={"holidays": [today + timedelta(days=d) for d in (-1, 0, 1)]}
    )
    rig.manager.settings = rig.settings  # its workers get the holidays too
    await rig.start_health()
    await rig.manager.apply([sim("sim-a", trading_hours="exchange")])
    closed = await rig.verdict("sim-a", state("MARKET_CLOSED"), VERDICT_TIMEOUT)
    assert closed.cause == "market_closed" and not closed.in_session and closed.connected
    assert "rb2605.SHFE session closed; opens" in closed.reason
    # longer than the canary timeout without a tick: still closed, never stale
    mark = len(rig.verdicts.items)
    later = await rig.verdicts.wait_count(lambda v: v.source == "sim-a", 5, 15.0, after=mark)
    assert {v.state for v in later} == {"MARKET_CLOSED"}
    assert later[-1].canary_age_s is None


async def test_a_deleted_bucket_is_created_again_with_the_verdicts(rig: Rig) -> None:
    await run(rig, [sim("sim-a")])
    await bucket_until(rig, lambda f: set(f) == {"sim-a"})
    await rig.nc.jetstream().delete_key_value(buckets.HEALTH)

    async def held() -> bool:
        try:
            return "sim-a" in await bucket_verdicts(rig)
        except Exception:  # not there (yet)
            return False

    deadline = asyncio.get_running_loop().time() + 15.0
    while not await held():
        assert asyncio.get_running_loop().time() < deadline, "the bucket never came back"
        await asyncio.sleep(0.2)
