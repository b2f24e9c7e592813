"""The GatewayManager with real worker processes, commanded over a real nats-server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from nats.aio.client import Client

from tickhub_cli.natsserver import NatsServer
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import GatewayStatus, Heartbeat
from tickhub_gateway.manager import GatewayManager
from tickhub_runtime.settings import Settings

from ..conftest import (
    START_TIMEOUT,
    Inbox,
    alive,
    command,
    inbox,
    pool,
    sim,
    tick_inbox,
    until,
)


def is_(source: str, state: str) -> Callable[[GatewayStatus], bool]:
    return lambda s: s.source == source and s.state == state


async def running_pid(statuses: Inbox[GatewayStatus], source: str) -> int:
    status = await statuses.wait_for(lambda s: s.source == source and s.connected, START_TIMEOUT)
    assert status.pid is not None
    return status.pid


async def test_a_killed_worker_is_published_within_2s_and_restart_brings_it_back(
    nc: Client, two_sims: GatewayManager, statuses: Inbox[GatewayStatus]
):
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    old_pid = await running_pid(statuses, "sim-a")
    seen = len(statuses.items)
    killed_at = time.monotonic()
    os.kill(old_pid, signal.SIGKILL)
    exited = await statuses.wait_for(is_("sim-a", "exited"), within=5, after=seen)
    assert time.monotonic() - killed_at < 2.0
    assert exited.exit_code == -9 and exited.reason == "killed by SIGKILL"
    assert exited.pid is None and not exited.connected and exited.connection == "disconnected"
    # It is reported, not restarted: that is the failover service's call.
    assert (await command(nc, "sim-a", "status")).status.state == "exited"  # type: ignore[union-attr]
    assert (await command(nc, "sim-b", "status")).status.connected  # type: ignore[union-attr]

    reply = await command(nc, "sim-a", "restart", by="failover")
    assert reply.ok, reply.error
    assert reply.status is not None and reply.status.restarts == 1
    new_pid = reply.status.pid
    assert new_pid is not None and new_pid != old_pid
    back = await statuses.wait_for(
        lambda s: s.source == "sim-a" and s.pid == new_pid and s.connected, START_TIMEOUT
    )
    assert back.restarts == 1 and back.exit_code is None and back.reason == ""
    await beats.wait_count(lambda b: b.pid == new_pid, 2, within=10)


async def test_a_hung_worker_is_declared_within_2s_while_the_manager_answers(
    nc: Client, two_sims: GatewayManager, statuses: Inbox[GatewayStatus]
):
    pid = await running_pid(statuses, "sim-a")
    seen = len(statuses.items)
    reply = await command(nc, "sim-a", "fault", fault="hang")
    assert reply.ok, reply.error
    hung_at = time.monotonic()
    hung = await statuses.wait_for(is_("sim-a", "hung"), within=5, after=seen)
    assert time.monotonic() - hung_at < 2.2
    assert hung.pid == pid and not hung.connected and "no heartbeat" in hung.reason

    # The manager is not held up by the frozen worker.
    for _ in range(3):
        started = time.monotonic()
        gateways = {g.source: g for g in (await pool(nc, timeout=2)).gateways}
        assert time.monotonic() - started < 1.0
        assert gateways["sim-a"].state == "hung" and gateways["sim-b"].connected
    assert (await command(nc, "sim-b", "status")).status.connected  # type: ignore[union-attr]

    seen = len(statuses.items)
    reply = await command(nc, "sim-a", "fault", fault="resume")
    assert reply.ok, reply.error
    back = await statuses.wait_for(is_("sim-a", "running"), within=10, after=seen)
    assert back.pid == pid and back.connected


async def test_commands_for_one_source_wait_for_each_other_but_not_for_others(
    nc: Client, two_sims: GatewayManager, statuses: Inbox[GatewayStatus]
):
    await running_pid(statuses, "sim-a")
    assert (await command(nc, "sim-a", "fault", fault="hang")).ok
    # A fault forwarded to a frozen worker waits for its answer (until the timeout)...
    slow = asyncio.create_task(command(nc, "sim-a", "fault", fault="stall"))
    await asyncio.sleep(0.2)  # let it take sim-a's lock first
    queued = asyncio.create_task(command(nc, "sim-a", "status"))
    started = time.monotonic()
    other = await command(nc, "sim-b", "status")
    assert time.monotonic() - started < 1.0 and other.ok
    assert not slow.done() and not queued.done()
    stall = await slow
    assert not stall.ok and "did not answer" in (stall.error or "")
    assert (await queued).ok
    assert (await command(nc, "sim-a", "fault", fault="resume")).ok


async def test_stop_is_remembered_until_an_operator_starts_it(
    nc: Client, two_sims: GatewayManager, statuses: Inbox[GatewayStatus]
):
    pid = await running_pid(statuses, "sim-a")
    reply = await command(nc, "sim-a", "stop")
    assert reply.ok and reply.status is not None
    assert reply.status.state == "stopped" and reply.status.manual_stop
    assert reply.status.exit_code == 0 and reply.status.pid is None
    assert not alive(pid)

    for action in ("restart", "start"):
        refused = await command(nc, "sim-a", action, by="failover")
        assert not refused.ok and "operator" in (refused.error or "")
    # Two periodic statuses later it is still stopped, by hand.
    seen = len(statuses.items)
    repeats = await statuses.wait_count(lambda s: s.source == "sim-a", 2, within=10, after=seen)
    assert all(s.state == "stopped" and s.manual_stop for s in repeats)

    started = await command(nc, "sim-a", "start")
    assert started.ok and started.status is not None and not started.status.manual_stop
    running = await statuses.wait_for(
        lambda s: s.source == "sim-a" and s.connected and s.pid != pid, START_TIMEOUT
    )
    assert not running.manual_stop


async def test_unknown_sources_and_bad_commands_get_an_error_reply(
    nc: Client, two_sims: GatewayManager
):
    unknown = await command(nc, "nope", "status")
    assert not unknown.ok and "unknown source 'nope'" in (unknown.error or "")
    assert "sim-a" in (unknown.error or "")

    for payload in (b"{not json", b'{"action": "explode"}', b""):
        msg = await nc.request(subjects.control("sim-a"), payload, timeout=5)
        reply = codec.decode(msg.data, type(unknown))
        assert not reply.ok and "bad command" in (reply.error or "")

    bare = await command(nc, "sim-a", "fault")
    assert not bare.ok and "needs a fault" in (bare.error or "")
    assert (await command(nc, "sim-b", "stop")).ok
    idle = await command(nc, "sim-b", "fault", fault="stall")
    assert not idle.ok and "no running worker" in (idle.error or "")


async def test_faults_reach_the_worker_and_show_in_the_status(
    nc: Client, manager: GatewayManager, statuses: Inbox[GatewayStatus]
):
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    await manager.apply([sim("sim-a", contracts=["rb2605.SHFE"], reconnect_after_s=1.0)])
    await running_pid(statuses, "sim-a")
    await ticks.wait_for(lambda t: True)

    assert (await command(nc, "sim-a", "fault", fault="stall")).ok
    stalled_at = datetime.now(UTC)
    status = (await command(nc, "sim-a", "status")).status
    assert status is not None and status.connected  # a stall keeps the session up
    resumed = await command(nc, "sim-a", "fault", fault="resume")
    assert resumed.ok
    assert not [t for t in ticks.values if stalled_at + timedelta(seconds=0.6) < t.datetime]

    seen = len(statuses.items)
    assert (await command(nc, "sim-a", "fault", fault="disconnect")).ok
    lost = await statuses.wait_for(
        lambda s: s.source == "sim-a" and s.connection == "disconnected", after=seen
    )
    assert lost.state == "running" and not lost.connected and lost.reason_code == 4097
    assert lost.reason.startswith("disconnected")
    back = await statuses.wait_for(lambda s: s.source == "sim-a" and s.connected, after=seen)
    assert back.reason_code is None

    seen = len(statuses.items)
    crashed = await command(nc, "sim-a", "fault", fault="crash")
    assert crashed.ok
    exited = await statuses.wait_for(is_("sim-a", "exited"), after=seen)
    assert exited.exit_code == 70 and exited.reason == "exit code 70"


async def test_a_rejected_login_shows_in_the_status(
    manager: GatewayManager, statuses: Inbox[GatewayStatus]
):
    await manager.apply([sim("sim-x", fail_login=True)])
    failed = await statuses.wait_for(lambda s: s.connection == "login_failed", START_TIMEOUT)
    assert failed.state in ("starting", "running") and failed.reason_code == 3
    assert not failed.connected and "不合法的登录" in failed.reason


async def test_the_pool_changes_at_run_time(
    nc: Client, manager: GatewayManager, statuses: Inbox[GatewayStatus]
):
    await manager.apply([sim("sim-a", 1)])
    a_pid = await running_pid(statuses, "sim-a")

    # sim-a only changes priority (no restart); sim-c is new.
    await manager.apply([sim("sim-a", 5), sim("sim-c", 2)])
    c_pid = await running_pid(statuses, "sim-c")
    gateways = (await pool(nc)).gateways
    assert [(g.source, g.priority) for g in gateways] == [("sim-c", 2), ("sim-a", 5)]
    assert gateways[1].pid == a_pid and gateways[1].restarts == 0

    # sim-a leaves; sim-c's sim settings change: a new process.
    seen = len(statuses.items)
    await manager.apply([sim("sim-c", 2, delay_ms=50)])
    assert not alive(a_pid) and not alive(c_pid)
    gone = await statuses.wait_for(is_("sim-a", "stopped"), after=seen)
    assert "removed" in gone.reason
    new_c = await statuses.wait_for(
        lambda s: s.source == "sim-c" and s.connected and s.pid != c_pid, START_TIMEOUT
    )
    assert new_c.restarts == 1
    assert [g.source for g in (await pool(nc)).gateways] == ["sim-c"]
    assert not (await command(nc, "sim-a", "status")).ok

    # A bad list changes nothing.
    with pytest.raises(ValueError, match="listed twice"):
        await manager.apply([sim("sim-c"), sim("sim-c")])
    assert (await pool(nc)).gateways[0].pid == new_c.pid

    # A disabled source is known but not run.
    disabled = sim("sim-d")
    disabled.enabled = False
    await manager.apply([sim("sim-c", 2, delay_ms=50), disabled])
    d = next(g for g in (await pool(nc)).gateways if g.source == "sim-d")
    assert d.state == "stopped" and d.pid is None and d.reason == "disabled"


async def test_every_status_is_republished_every_interval(
    two_sims: GatewayManager, statuses: Inbox[GatewayStatus]
):
    await running_pid(statuses, "sim-b")
    seen = len(statuses.items)
    repeats = await statuses.wait_count(lambda s: s.source == "sim-b", 3, within=10, after=seen)
    gaps = [(b.at - a.at).total_seconds() for a, b in pairwise(repeats)]
    # Nothing changes for sim-b here, yet it is told at least every 2 s (a change,
    # e.g. a heartbeat late on a loaded machine, may add a message in between).
    assert all(gap < 3.0 for gap in gaps), gaps


async def test_each_source_runs_in_its_own_directory(
    nc: Client, two_sims: GatewayManager, statuses: Inbox[GatewayStatus], gw_settings: Settings
):
    root = gw_settings.data_dir.resolve() / "workers"
    for name in ("sim-a", "sim-b"):
        pid = await running_pid(statuses, name)
        assert Path(os.readlink(f"/proc/{pid}/cwd")) == root / name
        assert (root / name / ".vntrader").is_dir()


# --- the service process -----------------------------------------------------------------


async def start_service(gw_settings: Settings, log: Path) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")},
        "TICKHUB_NATS_URL": gw_settings.resolved_nats_url,
        "TICKHUB_DATA_DIR": str(gw_settings.data_dir),
        "TICKHUB_SOURCES": json.dumps(
            [
                json.loads(codec.encode(sim(name, priority)))
                for name, priority in (("sim-a", 1), ("sim-b", 2))
            ]
        ),
    }
    with log.open("wb") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tickhub_gateway",
            env=env,
            stderr=err,
            cwd=gw_settings.data_dir.parent,
        )


async def wait_running(nc: Client) -> list[int]:
    async def both() -> list[int]:
        while True:
            try:
                gateways = (await pool(nc, timeout=1)).gateways
            except Exception:  # not listening yet
                gateways = []
            if len(gateways) == 2 and all(g.connected for g in gateways):
                return [g.pid for g in gateways if g.pid is not None]
            await asyncio.sleep(0.2)

    return await asyncio.wait_for(both(), START_TIMEOUT)


async def test_the_service_stops_every_worker_on_sigterm(
    nc: Client, gw_settings: Settings, tmp_path: Path
):
    log = tmp_path / "gateway.log"
    service = await start_service(gw_settings, log)
    try:
        pids = await wait_running(nc)
        service.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(service.wait(), 20) == 0
        assert [pid for pid in pids if alive(pid)] == []
    finally:
        if service.returncode is None:
            service.kill()
            await service.wait()
    text = log.read_text()
    # The workers' own lines come out on the manager's stderr.
    assert "source=sim-a" in text and "starting sim gateway" in text
    assert "every worker stopped" in text


async def test_a_killed_service_takes_its_workers_with_it(
    nc: Client, gw_settings: Settings, tmp_path: Path
):
    service = await start_service(gw_settings, tmp_path / "gateway.log")
    pids: list[int] = []
    try:
        pids = await wait_running(nc)
        service.kill()
        await service.wait()
        await until(lambda: not any(alive(pid) for pid in pids), within=15)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


async def test_a_restart_kills_a_worker_that_outlasts_the_grace_period(
    nc: Client, gw_settings: Settings, statuses: Inbox[GatewayStatus]
):
    # A worker's clean exit takes longer than 50 ms (it stops vnpy's EventEngine).
    impatient = gw_settings.model_copy(update={"restart_grace_s": 0.05})
    manager = GatewayManager(impatient, nc)
    await manager.start()
    try:
        await manager.apply([sim("sim-a")])
        pid = await running_pid(statuses, "sim-a")
        seen = len(statuses.items)
        reply = await command(nc, "sim-a", "restart")
        assert reply.ok and reply.status is not None and reply.status.pid != pid
        assert not alive(pid)
        killed = await statuses.wait_for(is_("sim-a", "stopped"), after=seen)
        assert killed.exit_code == -9 and "killed after the grace period" in killed.reason
        # The old process's end is flagged as part of a restart (the health service
        # must not read it as a stop to keep); the new process is not.
        assert killed.restarting and not killed.manual_stop
        back = await statuses.wait_for(lambda s: s.source == "sim-a" and s.connected, START_TIMEOUT)
        assert not back.restarting
    finally:
        await manager.close()


@pytest.mark.parametrize(
    ("sources", "says"),
    [
        ('[{"name": "a b", "gateway_type": "sim"}]', "source name 'a b'"),
        ('[{"name": "a", "gateway_type": "fix"}]', "gateway_type"),
        ("[{", "truncated"),
    ],
)
async def test_the_service_refuses_a_bad_source_list_in_one_line(
    gw_settings: Settings, tmp_path: Path, sources: str, says: str
):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")},
        "TICKHUB_NATS_URL": gw_settings.resolved_nats_url,
        "TICKHUB_SOURCES": sources,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tickhub_gateway",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    text = err.decode()
    assert "TICKHUB_SOURCES" in text and says in text, text
    assert "Traceback" not in text


async def test_the_service_stops_with_its_workers_even_when_nats_is_frozen(
    nc: Client, gw_settings: Settings, tmp_path: Path, nats_server: NatsServer
):
    service = await start_service(gw_settings, tmp_path / "gateway.log")
    try:
        pids = await wait_running(nc)
        nats_server.freeze()
        try:
            service.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(service.wait(), 20) == 0
        finally:
            nats_server.thaw()
            await until(lambda: nc.is_connected, within=20)  # for the nc fixture's drain
        assert [pid for pid in pids if alive(pid)] == []
    finally:
        if service.returncode is None:
            service.kill()
            await service.wait()
