"""`python -m tickhub_failover` as its own process, the way `tickhub up` runs it."""

from __future__ import annotations

import socket
import time

from nats.aio.client import Client

from tickhub_contracts import subjects
from tickhub_contracts.messages import FailoverEvent, LogRecord
from tickhub_runtime.settings import Settings

from ..gateway.conftest import Inbox, inbox
from ..service_process import ServiceProcess, start_service
from .conftest import RB, HealthFeed, M, table, verdict, wait_routes


async def start(settings: Settings, **env: str) -> ServiceProcess:
    return await start_service(
        "failover", settings, ServiceProcess, **{"TICKHUB_FAILBACK_HOLD_S": "1", **env}
    )


async def test_the_process_routes_logs_each_failover_and_stops_cleanly(
    nc: Client, settings: Settings, feed: HealthFeed, failovers: Inbox[FailoverEvent]
):
    logs = await inbox(nc, subjects.log("failover", "A"), LogRecord)
    await feed.send(verdict("A", ago=60), verdict("B", priority=2, ago=60))
    service = await start(settings)
    try:
        await service.until("ready: hot mode")
        await wait_routes(
            nc, lambda r: table(r) == {RB: ("A", ["A", "B"], False), M: ("A", ["A", "B"], False)}
        )
        await feed.send(
            verdict("A", "UNHEALTHY", reason="no heartbeat for 1.6 s", detected_ms=1600.0)
        )
        await failovers.wait_for(lambda e: e.kind == "failover")
        await service.until("failover: A -> B for 2 contract(s)")
        # Its log lines are on the bus too, under the source they are about.
        record = await logs.wait_for(lambda r: "failover: A -> B" in r.message)
        assert record.level == "WARNING" and record.source == "A"
        # A back: eligible again at once (a line says so), the lead after the hold.
        await feed.send(verdict("A", previous="RECOVERING"))
        await service.until("B leads for 2 contract(s) [m2605.DCE, rb2605.SHFE]: eligible now A, B")
        await service.until("failback: B -> A for 2 contract(s)")
    finally:
        code = await service.stop()
    assert code == 0, service.text
    line = next(x for x in service.lines if "failover: A -> B" in x)
    assert "WARNING" in line and "source=A" in line
    assert "[m2605.DCE, rb2605.SHFE]" in line and "no heartbeat for 1.6 s" in line
    assert "cause: process_exited" in line and "detected in 1600 ms" in line
    assert "Traceback" not in service.text
    assert "stopped" in service.lines[-1]


async def test_sigterm_ends_it_while_nats_is_unreachable(settings: Settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    nowhere = settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{port}"})
    service = await start(nowhere)
    await service.until("starting (nats")
    started = time.monotonic()
    assert await service.stop() == 0
    assert time.monotonic() - started < 10
    assert "stopped before NATS was reached" in service.text
