"""How the pool changes when the manager is given a new list of sources: pure logic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from tickhub_contracts import subjects
from tickhub_contracts.messages import SourceConfig


@dataclass(frozen=True)
class PoolPlan:
    add: list[SourceConfig] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    restart: list[SourceConfig] = field(default_factory=list)
    """Changed in what the worker uses: needs a new process."""
    update: list[SourceConfig] = field(default_factory=list)
    """Changed only in what the manager reports (priority): no restart, no outage."""
    resubscribe: list[SourceConfig] = field(default_factory=list)
    """Changed in its contracts (and maybe priority) only: the running worker is told
    what to subscribe and unsubscribe; a listing or an expiry never restarts a feed."""

    @property
    def empty(self) -> bool:
        return not (self.add or self.remove or self.restart or self.update or self.resubscribe)


def validate(configs: Sequence[SourceConfig]) -> None:
    """ValueError naming the first bad source: duplicate, bad name or bad contract."""
    seen: set[str] = set()
    for config in configs:
        subjects.token(config.name, "source name")
        if config.name in seen:
            raise ValueError(f"source {config.name!r} is listed twice")
        seen.add(config.name)
        for vt_symbol in config.all_symbols():
            subjects.split_vt_symbol(vt_symbol)


def plan_pool(current: Mapping[str, SourceConfig], wanted: Sequence[SourceConfig]) -> PoolPlan:
    validate(wanted)
    plan = PoolPlan()
    names = {config.name for config in wanted}
    plan.remove.extend(sorted(name for name in current if name not in names))
    for config in wanted:
        old = current.get(config.name)
        if old is None:
            plan.add.append(config)
        elif old == config:
            continue
        elif msgspec.structs.replace(config, priority=old.priority) == old:
            plan.update.append(config)
        elif msgspec.structs.replace(config, priority=old.priority, contracts=old.contracts) == old:
            plan.resubscribe.append(config)
        else:
            plan.restart.append(config)
    return plan
