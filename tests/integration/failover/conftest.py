"""The failover service on a real nats-server, driven through its input contract.

The health verdicts are published the way the health service publishes them (on
``tickhub.health.<source>`` and into the ``tickhub_health`` bucket); the routing is
read back from the real ``tickhub_routing`` bucket; the control requests are answered
by a real subscriber on ``tickhub.control.*`` standing where the GatewayManager is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    Command,
    ContractRoute,
    FailoverEvent,
    HealthCause,
    HealthState,
    Reply,
    RestartEvent,
    SourceHealth,
)
from tickhub_failover.app import FailoverService
from tickhub_runtime import bus, kv
from tickhub_runtime.settings import Settings

from ..gateway.conftest import Inbox, inbox

RB, M, SR = "rb2605.SHFE", "m2605.DCE", "SR605.CZCE"
TIMEOUT = 10.0

CAUSES: dict[str, HealthCause] = {
    "HEALTHY": "ok",
    "STARTING": "starting",
    "RECOVERING": "recovering",
    "DEGRADED": "lagging",
    "UNHEALTHY": "process_exited",
    "STOPPED": "stopped",
    "MARKET_CLOSED": "market_closed",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def verdict(
    source: str,
    state: HealthState = "HEALTHY",
    *,
    priority: int = 1,
    contracts: list[str] | None = None,
    ago: float = 0.0,
    cause: HealthCause | None = None,
    **kw: Any,
) -> SourceHealth:
    """``source`` in ``state`` for the last ``ago`` seconds, judged now."""
    now = utcnow()
    return SourceHealth(
        source=source,
        state=state,
        cause=cause or CAUSES[state],
        reason=kw.pop("reason", f"{state.lower()} (test)"),
        at=now,
        since=now - dt.timedelta(seconds=ago),
        priority=priority,
        contracts=list([RB, M] if contracts is None else contracts),
        **kw,
    )


@dataclass
class HealthFeed:
    """Publishes verdicts as the health service does: subject and bucket."""

    nc: Client
    _bucket: Any = None

    async def send(
        self, *verdicts: SourceHealth, bucket: bool = True, subject: bool = True
    ) -> None:
        if bucket and self._bucket is None:
            self._bucket = await kv.open_bucket(self.nc, buckets.HEALTH, create=True)
        for v in verdicts:
            data = codec.encode(v)
            if bucket:
                await self._bucket.put(buckets.health_key(v.source), data)
            if subject:
                await self.nc.publish(subjects.health(v.source), data)
        await self.nc.flush()


@dataclass
class Manager:
    """Answers ``tickhub.control.*`` in place of the GatewayManager, recording each
    command with its arrival time (monotonic)."""

    refuse: dict[str, str] = field(default_factory=dict)
    """source -> the error to refuse its restarts with."""
    commands: list[tuple[str, Command, float]] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def on_msg(self, msg: Msg) -> None:
        source = msg.subject.rsplit(".", 1)[1]
        command = codec.decode(msg.data, Command)
        error = self.refuse.get(source) if command.action == "restart" else None
        await msg.respond(codec.encode(Reply(ok=error is None, error=error)))
        async with self._changed:
            self.commands.append((source, command, time.monotonic()))
            self._changed.notify_all()

    def of(self, source: str, action: str = "restart") -> list[tuple[Command, float]]:
        return [(c, t) for s, c, t in self.commands if s == source and c.action == action]

    async def wait(
        self, predicate: Callable[[str, Command], bool], count: int = 1, within: float = TIMEOUT
    ) -> list[tuple[str, Command, float]]:
        def hits() -> list[tuple[str, Command, float]]:
            return [(s, c, t) for s, c, t in self.commands if predicate(s, c)]

        async def wait() -> list[tuple[str, Command, float]]:
            async with self._changed:
                while len(found := hits()) < count:
                    await self._changed.wait()
                return found

        try:
            return await asyncio.wait_for(wait(), within)
        except TimeoutError:
            raise AssertionError(
                f"{len(hits())} of {count} matching commands in {within} s; "
                f"got {[(s, c.action, c.vt_symbols) for s, c, _ in self.commands[-8:]]}"
            ) from None


async def routes(nc: Client) -> dict[str, ContractRoute]:
    bucket = await kv.open_bucket(nc, buckets.ROUTING, create=False)
    raw = await kv.snapshot(bucket)
    return {buckets.routing_vt_symbol(k): codec.decode(v, ContractRoute) for k, v in raw.items()}


def table(found: dict[str, ContractRoute]) -> dict[str, tuple[str, list[str], bool]]:
    return {vt: (r.source, r.eligible, r.degraded) for vt, r in found.items()}


async def wait_routes(
    nc: Client,
    want: Callable[[dict[str, ContractRoute]], bool],
    within: float = TIMEOUT,
) -> dict[str, ContractRoute]:
    """Poll the routing bucket (a deadline, no fixed sleep) until ``want`` holds."""
    deadline = time.monotonic() + within
    last: dict[str, ContractRoute] | str = "never read"
    while True:
        try:
            last = await routes(nc)
        except Exception as error:  # not created yet, or being rebuilt
            last = repr(error)
        if isinstance(last, dict) and want(last):
            return last
        if time.monotonic() > deadline:
            shown = table(last) if isinstance(last, dict) else last
            raise AssertionError(f"routing not as wanted within {within} s: {shown}")
        await asyncio.sleep(0.05)


@pytest.fixture
def fo_settings(settings: Settings) -> Settings:
    """Short holds and cool-downs so a test sees several of them quickly."""
    return settings.model_copy(
        update={
            "failback_hold_s": 1.5,
            "restart_cooldown_s": 0.5,
            "restart_backoff_max_s": 4.0,
            "restart_reset_s": 30.0,
            "startup_grace_s": 5.0,
            "command_timeout_s": 2.0,
            "restart_grace_s": 0.5,
        }
    )


@asynccontextmanager
async def running(settings: Settings, **kw: Any) -> AsyncIterator[FailoverService]:
    """The failover service in this process, on its own NATS connection."""
    nc = await bus.connect(settings, "test-failover")
    service = FailoverService(settings, nc, **kw)
    await service.start()
    try:
        await asyncio.wait_for(service.ready.wait(), TIMEOUT)
        yield service
    finally:
        await service.close()
        await nc.drain()


@pytest.fixture
async def feed(nc: Client) -> HealthFeed:
    return HealthFeed(nc)


@pytest.fixture
async def manager(nc: Client) -> Manager:
    fake = Manager()
    await nc.subscribe(subjects.CONTROL_ALL, cb=fake.on_msg)
    await nc.flush()
    return fake


@pytest.fixture
async def failovers(nc: Client) -> Inbox[FailoverEvent]:
    return await inbox(nc, subjects.FAILOVER_EVENT, FailoverEvent)


@pytest.fixture
async def restart_events(nc: Client) -> Inbox[RestartEvent]:
    return await inbox(nc, subjects.RESTART_ALL, RestartEvent)
