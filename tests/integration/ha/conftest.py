"""The hub fixture of the fault-injection tests: a real nats-server and the gateway,
health, failover and publisher services as OS processes, a ZeroMQ client recording
what it gets (:mod:`tickhub_harness.failover_hub`, shared with the failover benchmark).

The worker faults run on two kinds of pair (:func:`pair`): two sims, and two ``ctp``
accounts on two local CTP fronts serving the same feed (vnpy_ctp's CtpGateway and
tickhub's stand-in library, the path a desk uses).

Each test builds the pool it needs (``await make_hub([...])``, a fixture of
tests/integration/conftest.py shared with the client tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tickhub_contracts.messages import SourceConfig
from tickhub_harness.local_fronts import LocalFront, local_ctp_source
from tickhub_harness.pool import CANARY, CONTRACTS, SEED, sim_source

from ..conftest import MakeHub  # the fixture make_hub is the integration level's

pytestmark = pytest.mark.integration

__all__ = ["MakeHub", "Pair"]


@dataclass
class Pair:
    """A primary and a backup printing the same stream, and what the hub needs for them."""

    kind: str
    sources: list[SourceConfig]
    fronts: dict[str, LocalFront] = field(default_factory=dict)

    @property
    def primary(self) -> str:
        return self.sources[0].name

    @property
    def backup(self) -> str:
        return self.sources[1].name

    def hub_kwargs(self) -> dict[str, Any]:
        return {"fronts": self.fronts} if self.fronts else {}


def ctp_pair(workdir: Path) -> Pair:
    """ctp-a and ctp-b, each on a local front of its own, both fronts on one seed; ctp-b's
    20 ms farther away (as the sim pair's backup), so the primary's copies go out."""
    fronts = {
        name: LocalFront(workdir / name, [*CONTRACTS, CANARY], seed=SEED, delay_ms=delay)
        for name, delay in (("ctp-a", 0.0), ("ctp-b", 20.0))
    }
    sources = [
        local_ctp_source(name, priority, fronts[name], contracts=CONTRACTS, canary=CANARY)
        for priority, name in enumerate(fronts, start=1)
    ]
    return Pair("ctp", sources, fronts)


@pytest.fixture(params=["sim", "ctp"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Pair:
    if request.param == "ctp":
        return ctp_pair(tmp_path / "fronts")
    return Pair("sim", [sim_source("sim-a", 1), sim_source("sim-b", 2, delay_ms=20)])
