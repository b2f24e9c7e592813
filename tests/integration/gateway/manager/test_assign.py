"""Cold failover mode: the manager starts workers on their canary and holds what the
failover service assigns (``Command(action="assign")``), with real workers and NATS."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable

import pytest
from nats.aio.client import Client

from tickhub_contracts import subjects
from tickhub_contracts.messages import GatewayStatus, Heartbeat, Tick, contracts_digest
from tickhub_gateway.manager import GatewayManager
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

from ..conftest import START_TIMEOUT, Inbox, command, inbox, sim, tick_inbox

CANARY = "rb2605.SHFE"
CONTRACTS = ["m2605.DCE", "SR605.CZCE", "au2602.SHFE"]


@pytest.fixture
async def cold(gw_settings: Settings) -> AsyncIterator[GatewayManager]:
    """A GatewayManager in cold failover mode, with no sources yet."""
    settings = gw_settings.model_copy(update={"failover_mode": "cold"})
    nc = await bus.connect(settings, "test-manager")
    manager = GatewayManager(settings, nc)
    await manager.start()
    yield manager
    await manager.close()
    await nc.drain()


def holds(pid: int | None, *vt_symbols: str) -> Callable[[Heartbeat], bool]:
    wanted = contracts_digest(vt_symbols)
    return lambda b: (pid is None or b.pid == pid) and b.subscribed_digest == wanted


async def later_ticks(ticks: Inbox[Tick], beats: Inbox[Heartbeat], pid: int) -> int:
    """An index into ``ticks`` after which every tick was taken under the worker's
    current subscriptions: two heartbeats on (a tick queued before a change may
    still be on its way when the first one goes out)."""
    seen = len(beats.items)
    await beats.wait_count(lambda b: b.pid == pid, 2, within=10, after=seen)
    return len(ticks.items)


async def test_cold_workers_hold_their_canary_and_what_they_are_assigned(
    nc: Client, cold: GatewayManager, statuses: Inbox[GatewayStatus]
):
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-a.>")
    await cold.apply([sim("sim-a", contracts=CONTRACTS)])
    up = await statuses.wait_for(lambda s: s.source == "sim-a" and s.connected, START_TIMEOUT)
    assert up.contracts == sorted(CONTRACTS) and up.canary == CANARY
    pid = up.pid
    assert pid is not None
    await beats.wait_for(holds(pid, CANARY))
    await ticks.wait_for(lambda t: t.vt_symbol == CANARY)
    since = await later_ticks(ticks, beats, pid)
    await ticks.wait_count(lambda t: True, 2, within=10, after=since)
    assert {t.vt_symbol for t in ticks.values} == {CANARY}

    # Assigned: subscribed at once, and it shows in the heartbeat and the status.
    reply = await command(
        nc, "sim-a", "assign", vt_symbols=["m2605.DCE", "SR605.CZCE"], by="failover"
    )
    assert reply.ok, reply.error
    await beats.wait_for(holds(pid, CANARY, "m2605.DCE", "SR605.CZCE"))
    await ticks.wait_for(lambda t: t.vt_symbol == "m2605.DCE")
    await statuses.wait_for(lambda s: s.source == "sim-a" and s.subscribed_count == 3)

    # Taken away: unsubscribed; the canary stays.
    assert (await command(nc, "sim-a", "assign", vt_symbols=["SR605.CZCE"], by="failover")).ok
    await beats.wait_for(holds(pid, CANARY, "SR605.CZCE"))
    since = await later_ticks(ticks, beats, pid)
    await ticks.wait_count(lambda t: t.vt_symbol == "SR605.CZCE", 2, within=10, after=since)
    assert {t.vt_symbol for _, t in ticks.items[since:]} <= {CANARY, "SR605.CZCE"}

    # A repeat changes nothing and is fine (the failover service repeats itself).
    assert (await command(nc, "sim-a", "assign", vt_symbols=["SR605.CZCE"], by="failover")).ok

    # Every new process starts with the assignment.
    restarted = await command(nc, "sim-a", "restart", by="failover")
    assert restarted.ok and restarted.status is not None
    new_pid = restarted.status.pid
    assert new_pid not in (None, pid)
    first = await beats.wait_for(lambda b: b.pid == new_pid, START_TIMEOUT)
    assert holds(new_pid, CANARY, "SR605.CZCE")(first)

    # Assigned while the worker is dead: kept, and the next process holds it.
    seen = len(statuses.items)
    assert new_pid is not None
    os.kill(new_pid, signal.SIGKILL)
    await statuses.wait_for(lambda s: s.source == "sim-a" and s.state == "exited", after=seen)
    assert (await command(nc, "sim-a", "assign", vt_symbols=["au2602.SHFE"], by="failover")).ok
    again = await command(nc, "sim-a", "restart", by="failover")
    assert again.ok and again.status is not None
    first = await beats.wait_for(lambda b: b.pid == again.status.pid, START_TIMEOUT)  # type: ignore[union-attr]
    assert holds(first.pid, CANARY, "au2602.SHFE")(first)


async def test_an_assignment_made_while_the_worker_starts_is_mended_from_its_heartbeat(
    nc: Client, cold: GatewayManager, statuses: Inbox[GatewayStatus]
):
    beats = await inbox(nc, subjects.heartbeat("sim-a"), Heartbeat)
    await cold.apply([sim("sim-a", contracts=CONTRACTS)])
    # The worker is not listening yet: the manager keeps the assignment and tells the
    # worker when its first heartbeat shows it holds only its canary.
    reply = await command(nc, "sim-a", "assign", vt_symbols=["m2605.DCE"], by="failover")
    assert reply.ok, reply.error
    assert reply.status is not None and reply.status.state == "starting"
    first = await beats.wait_for(lambda b: True, START_TIMEOUT)
    await beats.wait_for(holds(first.pid, CANARY, "m2605.DCE"))


async def test_assign_refuses_unknown_sources_and_contracts(
    nc: Client, cold: GatewayManager, statuses: Inbox[GatewayStatus]
):
    off = sim("sim-a", contracts=CONTRACTS)
    off.enabled = False  # no worker needed to judge a request
    await cold.apply([off])
    unknown = await command(nc, "sim-z", "assign", vt_symbols=["m2605.DCE"], by="failover")
    assert not unknown.ok and "unknown source 'sim-z'" in (unknown.error or "")

    foreign = await command(
        nc, "sim-a", "assign", vt_symbols=["m2605.DCE", "IF2512.CFFEX"], by="failover"
    )
    assert not foreign.ok
    assert "not configured for IF2512.CFFEX" in (foreign.error or "")
    assert "SR605.CZCE, au2602.SHFE, m2605.DCE" in (foreign.error or "")


async def test_a_hot_manager_refuses_assign(nc: Client, manager: GatewayManager):
    off = sim("sim-a", contracts=CONTRACTS)
    off.enabled = False
    await manager.apply([off])
    reply = await command(nc, "sim-a", "assign", vt_symbols=["m2605.DCE"], by="failover")
    assert not reply.ok and "cold failover mode" in (reply.error or "")
