"""CTP worker processes (real vnpy_ctp, real sockets) on a real nats-server.

The worker, and the manager above it, must report a CTP source that cannot reach
its front as ``disconnected`` with a reason code, and stay responsive meanwhile.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator

import pytest
from nats.aio.client import Client

from tickhub_contracts import subjects
from tickhub_contracts.messages import (
    Connection,
    CtpSettings,
    GatewayStatus,
    Heartbeat,
    SourceConfig,
    WorkerCommand,
    contracts_digest,
)
from tickhub_gateway.manager import GatewayManager
from tickhub_gateway.manager.process import worker_dir
from tickhub_gateway.sources.ctp.codes import NO_FRONT_ANSWER
from tickhub_harness.bare_fronts import Listener, closed_port
from tickhub_runtime.settings import Settings

from ...conftest import START_TIMEOUT, Inbox, Workers, inbox, pool

pytestmark = pytest.mark.integration

CONNECT_TIMEOUT_S = 2.0
# Worker start (imports vnpy, nats, the CTP .so) + the watchdog + its probe.
DOWN_TIMEOUT = START_TIMEOUT + CONNECT_TIMEOUT_S + 5.0


def ctp(name: str, md_fronts: list[str]) -> SourceConfig:
    return SourceConfig(
        name=name,
        gateway_type="ctp",
        contracts=["rb2605.SHFE", "SR605.CZCE"],
        canary="rb2605.SHFE",
        ctp=CtpSettings(
            userid="000001",
            password="not-a-password",
            broker_id="9999",
            md_fronts=md_fronts,
            connect_timeout_s=CONNECT_TIMEOUT_S,
        ),
    )


@pytest.fixture
def dropping() -> Iterator[Listener]:
    """A front that accepts and at once closes (on a thread of its own: its close is
    bounded whatever the CTP workers still dialling it do)."""
    listener = Listener()
    yield listener
    listener.close()


async def watch(nc: Client, source: str) -> tuple[Inbox[Connection], Inbox[Heartbeat]]:
    return (
        await inbox(nc, subjects.connection(source), Connection),
        await inbox(nc, subjects.heartbeat(source), Heartbeat),
    )


async def test_ctp_worker_against_a_closed_port_reports_disconnected(
    nc: Client, workers: Workers, gw_settings: Settings
):
    port = closed_port()
    conns, beats = await watch(nc, "ctp-a")
    proc = await workers.start(ctp("ctp-a", [f"tcp://127.0.0.1:{port}"]))

    connecting = await conns.wait_for(lambda c: c.state == "connecting", START_TIMEOUT)
    down = await conns.wait_for(lambda c: c.state == "disconnected", DOWN_TIMEOUT)
    assert down.source == "ctp-a" and down.reason_code == NO_FRONT_ANSWER
    assert f"tcp://127.0.0.1:{port}: connection refused" in down.message
    # The watchdog is armed a moment before "connecting" is stamped (same call).
    assert (down.at - connecting.at).total_seconds() >= CONNECT_TIMEOUT_S - 0.05
    assert [c.state for c in conns.values] == ["connecting", "disconnected"]

    # Meanwhile the worker lives: it beats (not connected) and answers commands.
    beat = await beats.wait_for(lambda b: b.pid == proc.pid and b.seq >= 2)
    assert not beat.connected and beat.ticks_total == 0
    assert beat.subscribed_digest == contracts_digest(["SR605.CZCE", "rb2605.SHFE"])
    stall = await workers.control(nc, "ctp-a", WorkerCommand(action="fault", fault="stall"))
    assert not stall.ok and stall.error and "cannot" in stall.error
    more = await workers.control(
        nc, "ctp-a", WorkerCommand(action="subscribe", vt_symbols=["m2605.DCE"])
    )
    assert more.ok
    bad = await workers.control(
        nc, "ctp-a", WorkerCommand(action="subscribe", vt_symbols=["600000.SSE"])
    )
    assert not bad.ok and bad.error and "CTP has no exchange 'SSE'" in bad.error

    # CTP's flow files live in the source's own directory.
    flow = worker_dir(gw_settings, "ctp-a") / ".vntrader" / "ctp" / "md"
    assert (flow / "DialogRsp.con").exists()

    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 15) == 0


async def test_ctp_worker_against_a_dropping_listener_reports_ctps_code(
    nc: Client, workers: Workers, dropping: Listener
):
    address = dropping.address
    conns, beats = await watch(nc, "ctp-b")
    proc = await workers.start(ctp("ctp-b", [address]))

    down = await conns.wait_for(lambda c: c.state == "disconnected", DOWN_TIMEOUT)
    assert down.reason_code == 4097
    assert down.message == "0x1001 network read failed"
    assert dropping.accepted >= 1
    # CTP keeps retrying (and being dropped) about once a second; the state is said once.
    seen = dropping.accepted
    beat = await beats.wait_for(lambda b: b.pid == proc.pid and b.seq >= 3)
    assert not beat.connected
    assert dropping.accepted > seen
    assert [c.state for c in conns.values].count("disconnected") == 1

    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 15) == 0


async def test_manager_shows_ctp_sources_disconnected_and_stays_responsive(
    nc: Client, manager: GatewayManager, dropping: Listener
):
    statuses = await inbox(nc, subjects.STATUS_ALL, GatewayStatus)
    address = dropping.address
    closed = f"tcp://127.0.0.1:{closed_port()}"
    await manager.apply([ctp("ctp-closed", [closed]), ctp("ctp-drop", [address])])

    dropped = await statuses.wait_for(
        lambda s: s.source == "ctp-drop" and s.reason_code == 4097, DOWN_TIMEOUT
    )
    refused = await statuses.wait_for(
        lambda s: s.source == "ctp-closed" and s.reason_code == NO_FRONT_ANSWER, DOWN_TIMEOUT
    )
    for status in (dropped, refused):
        assert status.state == "running" and status.connection == "disconnected"
        assert not status.connected

    # The manager answers at once while both CTP workers fail to connect.
    began = time.monotonic()
    answer = await pool(nc, timeout=5.0)
    assert time.monotonic() - began < 2.0
    by_name = {s.source: s for s in answer.gateways}
    assert by_name["ctp-drop"].connection == "disconnected"
    assert by_name["ctp-closed"].reason_code == NO_FRONT_ANSWER
