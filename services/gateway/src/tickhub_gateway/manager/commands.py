"""Commands for one source (``tickhub.control.<source>``): status, start, stop,
restart, the rehearsal faults and, in cold failover mode, assign (:mod:`.cold`).

Commands for one source are serialised by that source's lock; each request runs in
its own task (:mod:`.intake`), so a slow restart never holds up another source or the
loop. An operator's stop is remembered (:mod:`.manual_stops`): only an operator starts that
source again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, FaultKind, Reply, WorkerCommand

from . import process
from .cold import ColdMode
from .state import ManagerState, Source
from .status import StatusPublisher
from .workers import Workers

OPERATOR = "operator"
CRASH_WAIT_S = 2.0
"""How long a crash fault's reply waits to show the exit."""


class Commands:
    def __init__(
        self, state: ManagerState, status: StatusPublisher, workers: Workers, cold: ColdMode
    ) -> None:
        self.state = state
        self.status = status
        self.workers = workers
        self.cold = cold

    async def command(self, name: str, command: Command) -> Reply:
        """Carry out one command (what ``tickhub.control.<name>`` does)."""
        source = self.state.sources.get(name)
        if source is None:
            known = ", ".join(sorted(self.state.sources)) or "none"
            return Reply(ok=False, error=f"unknown source {name!r} (known: {known})")
        async with source.lock:
            if self.state.sources.get(name) is not source or self.state.closed:
                return Reply(ok=False, error=f"source {name!r} is being removed")
            try:
                error = await self._carry_out(source, command)
            except Exception as failure:  # a bug must not leave the caller waiting
                source.log.exception("%s failed", command.action)
                error = f"{command.action} failed: {failure!r}"
            return Reply(ok=error is None, error=error, status=source.tracker.status())

    async def _carry_out(self, source: Source, command: Command) -> str | None:
        tracker = source.tracker
        action = command.action
        if action not in ("status", "assign"):  # assign logs only a change
            source.log.info(
                "%s%s requested by %s",
                action,
                f" {command.fault}" if command.fault else "",
                command.by,
            )
        if action == "status":
            return None
        if action == "assign":
            return await self.cold.assign(source, command)
        if action in ("start", "restart") and not tracker.config.enabled:
            return f"{tracker.name} is disabled: enable the account first"
        if action in ("start", "restart") and tracker.manual_stop and command.by != OPERATOR:
            return f"{tracker.name} was stopped by an operator; only an operator can start it again"
        if action == "start":
            if tracker.manual_stop:
                await self.state.release(source)
            if source.process is None:
                await self.workers.spawn(source)
            else:
                await self.status.publish(source)
            return None
        if action == "stop":
            tracker.manual_stop = True
            if self.state.stops is not None:
                await self.state.stops.remember(tracker.name, command.by)
            await self.workers.end(source, f"stopped by {command.by}")
            return None
        if action == "restart":
            if tracker.manual_stop:
                await self.state.release(source)
            # Marks the old process's end as part of a restart, so the health service
            # does not read the "stopped" in between as a stop anyone wants kept.
            tracker.restarting = True
            try:
                if source.process is not None:
                    await self.workers.end(source, f"hard restart by {command.by}")
            finally:
                tracker.restarting = False
            tracker.restarts += 1
            await self.workers.spawn(source)
            return None
        if command.fault is None:
            return "a fault command needs a fault: stall, resume, disconnect, hang or crash"
        return await self._fault(source, command.fault)

    async def _fault(self, source: Source, kind: FaultKind) -> str | None:
        proc = source.process
        if proc is None:
            return f"{source.tracker.name} has no running worker"
        if kind == "hang":
            process.send(proc, signal.SIGSTOP)
            source.frozen = True
            return None
        if kind == "resume":
            was_frozen = source.frozen
            process.send(proc, signal.SIGCONT)
            source.frozen = False
            error = await self._forward(source, kind)
            # A gateway that cannot stall (ctp) has nothing to resume: thawing was all.
            return None if was_frozen else error
        if kind == "crash":
            # No reply comes back from a process that exits at once.
            await self.state.nc.publish(
                subjects.worker_control(source.tracker.name),
                codec.encode(WorkerCommand(action="fault", fault="crash")),
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), CRASH_WAIT_S)
            return None
        return await self._forward(source, kind)

    async def _forward(self, source: Source, kind: FaultKind) -> str | None:
        return await self.workers.ask(source, WorkerCommand(action="fault", fault=kind))
