"""The hub fixture of the fault-injection tests: a real nats-server and the gateway,
health, failover and publisher services as OS processes, a ZeroMQ client recording
what it gets (:mod:`bench.failover_hub`, shared with the failover benchmark).

Each test builds the pool it needs (``await make_hub([...])``); whatever it started
is ended at teardown, also when the test failed half-way, and the hub's last words
(verdicts, routing, log tails) are printed so a failure explains itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.failover_hub import Hub
from tickhub_contracts.messages import SourceConfig

pytestmark = pytest.mark.integration

MakeHub = Callable[..., Awaitable[Hub]]


@pytest.fixture
async def make_hub(tmp_path: Path) -> AsyncIterator[MakeHub]:
    hubs: list[Hub] = []

    async def make(sources: Sequence[SourceConfig], **kw: Any) -> Hub:
        hub = Hub(tmp_path / f"hub{len(hubs)}", sources, **kw)
        hubs.append(hub)
        return await hub.start()

    try:
        yield make
    finally:
        for hub in hubs:
            print(hub.diagnostics())
            await hub.close()
