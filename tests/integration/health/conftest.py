"""Fixtures for the health service: a real GatewayManager running real sim workers,
the health service in-process on its own NATS connection, and an inbox of verdicts.

Everything waits on messages with bounded timeouts, never on sleeps.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from nats.aio.client import Client

from tests.integration.gateway.conftest import START_TIMEOUT, Inbox, inbox
from tickhub_contracts import subjects
from tickhub_contracts.messages import GatewayStatus, SourceConfig, SourceHealth
from tickhub_gateway.manager import GatewayManager
from tickhub_health.app import HealthService
from tickhub_runtime import bus
from tickhub_runtime.settings import Settings

VERDICT_TIMEOUT = START_TIMEOUT + 15.0
"""From a worker's spawn to its first HEALTHY verdict, on a loaded machine."""


@pytest.fixture
def hs_settings(settings: Settings) -> Settings:
    """Settings for a manager and health service tuned for tests."""
    return settings.model_copy(
        update={
            "restart_grace_s": 2.0,
            "status_interval_s": 1.0,
            "health_check_interval_s": 0.1,
            "health_publish_s": 1.0,
            "startup_grace_s": 30.0,
        }
    )


@dataclass
class Rig:
    """The manager and health service of one test, and the verdicts they produce."""

    settings: Settings
    nc: Client
    manager: GatewayManager
    verdicts: Inbox[SourceHealth]
    statuses: Inbox[GatewayStatus]
    health: HealthService | None = None
    health_nc: Client | None = None
    stopped_pids: list[int] = field(default_factory=list)

    async def start_health(self) -> HealthService:
        self.health_nc = await bus.connect(self.settings, "test-health")
        self.health = HealthService(self.settings, self.health_nc)
        await self.health.start()
        return self.health

    async def stop_health(self) -> None:
        if self.health is not None:
            await self.health.close()
            self.health = None
        if self.health_nc is not None:
            await self.health_nc.drain()
            self.health_nc = None

    async def verdict(
        self, source: str, predicate: Callable[[SourceHealth], bool], within: float = 10.0
    ) -> SourceHealth:
        return await self.verdicts.wait_for(
            lambda v: v.source == source and predicate(v), within, after=0
        )

    async def next_verdict(
        self,
        source: str,
        predicate: Callable[[SourceHealth], bool],
        after: int,
        within: float = 10.0,
    ) -> SourceHealth:
        return await self.verdicts.wait_for(
            lambda v: v.source == source and predicate(v), within, after=after
        )

    async def healthy(self, *names: str) -> None:
        for name in names:
            await self.verdict(name, lambda v: v.state == "HEALTHY", VERDICT_TIMEOUT)

    def pid(self, name: str) -> int:
        status = self.manager.status(name)
        assert status is not None and status.pid is not None
        return status.pid

    def freeze(self, name: str) -> int:
        pid = self.pid(name)
        os.kill(pid, signal.SIGSTOP)
        self.stopped_pids.append(pid)
        return pid


def state(name: str) -> Callable[[SourceHealth], bool]:
    return lambda v: v.state == name


@pytest.fixture
async def rig(hs_settings: Settings, nc: Client) -> AsyncIterator[Rig]:
    manager_nc = await bus.connect(hs_settings, "test-manager")
    manager = GatewayManager(hs_settings, manager_nc)
    await manager.start()
    verdicts = await inbox(nc, subjects.HEALTH_ALL, SourceHealth)
    statuses = await inbox(nc, subjects.STATUS_ALL, GatewayStatus)
    rig_ = Rig(hs_settings, nc, manager, verdicts, statuses)
    try:
        yield rig_
    finally:
        for pid in rig_.stopped_pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        await rig_.stop_health()
        await manager.close()
        await manager_nc.drain()


async def run(rig: Rig, configs: list[SourceConfig]) -> None:
    """Start the health service, then the pool, and wait until every source is HEALTHY."""
    await rig.start_health()
    await rig.manager.apply(configs)
    await rig.healthy(*(c.name for c in configs))
