"""Cold failover mode: what each source's worker holds.

The manager keeps what the failover service assigned each source (``assign``, the
rules in :mod:`.assignment`), starts every new worker with its canary and that
assignment only (:mod:`.workers`), tells a running worker the difference, and mends a
worker whose heartbeat shows it holds something else.
"""

from __future__ import annotations

import asyncio
import time

from tickhub_contracts.messages import Command, Heartbeat, WorkerCommand, contracts_digest
from tickhub_runtime.logs import few

from . import assignment
from .state import ManagerState, Source
from .workers import Workers

MEND_PAUSE_S = 2.0
"""After telling a worker what to hold, its heartbeats are not compared with the
assignment for this long: a heartbeat already on its way shows the old set."""


class ColdMode:
    def __init__(self, state: ManagerState, workers: Workers) -> None:
        self.state = state
        self.workers = workers

    async def assign(self, source: Source, command: Command) -> str | None:
        """Keep the new assignment and tell the running worker the difference (caller
        holds the lock). Without a running worker it is only kept: the next worker
        starts with it."""
        tracker = source.tracker
        if self.state.mode != "cold":
            return (
                "assign is for cold failover mode; this gateway runs hot "
                "(TICKHUB_FAILOVER_MODE=hot), where every source holds all its contracts"
            )
        error = assignment.refusal(tracker.config, command.vt_symbols)
        if error is not None:
            source.log.warning("assign by %s refused: %s", command.by, error)
            return error
        assigned = frozenset(command.vt_symbols)
        if assigned != source.assigned:
            source.log.info(
                "assigned %s by %s (was %s)",
                few(assigned),
                command.by,
                few(source.assigned),
            )
            source.assigned = assigned
        return await self.hold(source, source.held)

    async def hold(self, source: Source, held: frozenset[str]) -> str | None:
        """Tell a running worker that holds ``held`` to hold what it should: the new
        contracts first, so a contract moving here is never held by nobody longer
        than it must (caller holds the lock). In either mode: hot mode's sources hold
        their configured contracts, which change with the universe (:mod:`.reconcile`)."""
        tracker = source.tracker
        if source.process is None or tracker.state != "running":
            # Not listening yet (starting), frozen (hung) or gone: a new worker starts
            # with the assignment, and a starting one is mended from its heartbeats.
            return None
        wanted = assignment.holding(tracker.config, self.state.mode, source.assigned)
        add, drop = assignment.changes(held, wanted)
        steps = [WorkerCommand(action="subscribe", vt_symbols=add)] if add else []
        steps += [WorkerCommand(action="unsubscribe", vt_symbols=drop)] if drop else []
        for step in steps:
            source.mend_after = time.monotonic() + MEND_PAUSE_S
            error = await self.workers.ask(source, step)
            what = f"{step.action} {few(step.vt_symbols)}"
            if error is not None:
                source.log.warning("worker %s: %s failed: %s", tracker.pid, what, error)
                return f"{what} on the worker failed: {error}"
            source.log.info("worker %s: %s", tracker.pid, what)
        source.held = wanted
        source.mend_after = time.monotonic() + MEND_PAUSE_S
        return None

    def check_holding(self, source: Source, beat: Heartbeat, now: float) -> None:
        """Compare what the worker says it holds (a digest) with what it should; mend a
        difference (a subscribe lost on the way, an assignment made while it started)."""
        wanted = assignment.holding(source.tracker.config, self.state.mode, source.assigned)
        if beat.subscribed_digest == contracts_digest(wanted):
            source.held = wanted
            return
        if now < source.mend_after or source.lock.locked() or self.state.closed:
            return
        source.mend_after = now + MEND_PAUSE_S
        self.state.track(asyncio.create_task(self._mend(source, beat.subscribed_count, beat.pid)))

    async def _mend(self, source: Source, count: int, pid: int) -> None:
        async with source.lock:
            if self.state.closed or source.tracker.pid != pid or source.process is None:
                return  # another process by now: it starts with the assignment
            wanted = assignment.holding(source.tracker.config, self.state.mode, source.assigned)
            source.log.info(
                "worker %d holds %d contract(s), not the %d it should (%s): telling it",
                pid,
                count,
                len(wanted),
                few(wanted),
            )
            source.mend_after = time.monotonic() + MEND_PAUSE_S
            error = await self.workers.ask(
                source, WorkerCommand(action="hold", vt_symbols=sorted(wanted))
            )
            if error is not None:
                source.log.warning("worker %d: hold failed: %s", pid, error)
                return
            source.held = wanted
