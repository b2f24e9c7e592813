"""A source's worker process through its life, as the manager runs it: started with
what it should hold (:mod:`.process`, :mod:`.assignment`), waited on so that an exit or
a kill is published the moment it happens (state ``exited``, exit code or signal in
``reason``), ended on purpose (grace, then SIGKILL), and asked to do something over
NATS. It is never restarted from here by itself: the failover service orders that.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Reply, WorkerCommand
from tickhub_runtime.logs import few

from . import assignment, process
from .state import ManagerState, Source
from .status import StatusPublisher


class Workers:
    def __init__(self, state: ManagerState, status: StatusPublisher) -> None:
        self.state = state
        self.status = status

    async def spawn(self, source: Source) -> None:
        tracker = source.tracker
        config = assignment.worker_config(tracker.config, self.state.mode, source.assigned)
        try:
            proc = await process.spawn(config, self.state.settings)
        except OSError as error:
            source.log.error("could not start the worker: %s", error)
            tracker.spawn_failed(str(error))
            await self.status.publish(source)
            return
        source.process = proc
        source.frozen = False
        source.held = frozenset(config.all_symbols())
        tracker.spawned(proc.pid, time.monotonic(), datetime.now(UTC))
        source.log.info(
            "worker started (pid %d)%s",
            proc.pid,
            f" holding {few(source.held)}" if self.state.mode == "cold" else "",
        )
        await self.status.publish(source)
        self.state.track(asyncio.create_task(self._wait_exit(source, proc)))

    async def _wait_exit(self, source: Source, proc: asyncio.subprocess.Process) -> None:
        returncode = await proc.wait()
        if source.process is not proc or source.ending:
            return  # ended on purpose: end() reports it
        source.process = None
        source.tracker.exited(returncode)
        source.log.warning("worker %d %s", proc.pid, source.tracker.reason)
        await self.status.publish(source)

    async def end(self, source: Source, why: str) -> None:
        """End the worker on purpose (caller holds the lock, or the manager is closing)."""
        proc = source.process
        tracker = source.tracker
        if proc is None:
            if tracker.state not in ("stopped", "exited"):
                tracker.stopped(tracker.exit_code, why)
            await self.status.publish(source)
            return
        source.ending = True
        try:
            tracker.stopping(why)
            await self.status.publish(source)
            returncode, killed = await process.terminate(proc, self.state.settings.restart_grace_s)
        finally:
            source.ending = False
        source.process = None
        source.frozen = False
        if killed:
            source.log.warning(
                "worker %d ignored SIGTERM for %.1f s: killed",
                proc.pid,
                self.state.settings.restart_grace_s,
            )
        tracker.stopped(returncode, why + (" (killed after the grace period)" if killed else ""))
        source.log.info("worker %d stopped: %s", proc.pid, tracker.reason)
        await self.status.publish(source)

    async def ask(self, source: Source, command: WorkerCommand) -> str | None:
        """Send the worker a command; its error, or None when it did it."""
        timeout = max(0.5, self.state.settings.command_timeout_s / 2)
        try:
            msg = await self.state.nc.request(
                subjects.worker_control(source.tracker.name),
                codec.encode(command),
                timeout=timeout,
            )
            reply = codec.decode(msg.data, Reply)
        except TimeoutError:
            return f"the worker did not answer within {timeout:.1f} s"
        except Exception as error:
            return f"the worker could not be asked: {error!r}"
        return None if reply.ok else (reply.error or "the worker refused")
