"""The pool a fault-injection hub runs: the shared contracts, canary and sim stream,
and the source configs that print it (sims) or read it from fronts (ctp)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tickhub_contracts.messages import CtpSettings, SimSettings, SourceConfig

CONTRACTS = ["rb2605.SHFE", "m2605.DCE", "SR605.CZCE"]
CANARY = "au2602.SHFE"
"""Not one of the CONTRACTS: in cold mode a backup holds only its canary, so every
contract really moves on a failover."""
RATE = 10.0
"""Ticks per second per contract: enough slots to count in a few seconds."""
SEED = 7


def sim_source(
    name: str,
    priority: int,
    *,
    contracts: Sequence[str] = CONTRACTS,
    canary: str = CANARY,
    delay_ms: float = 0.0,
    **sim: Any,
) -> SourceConfig:
    """A sim source printing the shared stream (same seed and rate as every other)."""
    sim.setdefault("seed", SEED)
    sim.setdefault("ticks_per_second", RATE)
    return SourceConfig(
        name=name,
        gateway_type="sim",
        priority=priority,
        contracts=list(contracts),
        canary=canary,
        sim=SimSettings(delay_ms=delay_ms, **sim),
    )


def ctp_source(
    name: str,
    priority: int,
    md_fronts: list[str],
    *,
    contracts: Sequence[str] = CONTRACTS,
    canary: str = CANARY,
    **ctp: Any,
) -> SourceConfig:
    """A CTP source running the real vnpy_ctp against the given fronts; ``ctp``
    overrides :class:`CtpSettings` fields (a made-up login by default)."""
    ctp.setdefault("userid", "000001")
    ctp.setdefault("password", "not-a-password")
    ctp.setdefault("broker_id", "9999")
    ctp.setdefault("connect_timeout_s", 2.0)
    return SourceConfig(
        name=name,
        gateway_type="ctp",
        priority=priority,
        contracts=list(contracts),
        canary=canary,
        ctp=CtpSettings(md_fronts=md_fronts, **ctp),
    )
