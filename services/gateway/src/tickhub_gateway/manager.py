"""``GatewayManager``: one worker process per source, watched and commanded over NATS.

What it does for each source:

* runs its worker (:mod:`.process`) and waits on the process, so an exit or a kill
  is published the moment it happens (state ``exited``, exit code or signal in
  ``reason``); it does not restart it by itself: the failover service orders that;
* folds the worker's Heartbeats and Connection messages into a
  :class:`GatewayStatus`, declares it ``hung`` when the heartbeats stop, and
  publishes the status on every change and every ``status_interval_s``;
* answers commands (``tickhub.control.<source>``) and the pool query
  (``tickhub.pool``);
* remembers an operator's stop in the ``tickhub_manual_stops`` bucket
  (:mod:`.stops`), so it holds across a restart of the service. A stop is released
  by a start or restart, by enabling the account again (an operator's decision that
  it should run) and by removing the source;
* in cold failover mode, keeps what the failover service assigned each source
  (``assign``, :mod:`.assignment`), starts every new worker with its canary and that
  assignment only, tells a running worker the difference, and mends a worker whose
  heartbeat shows it holds something else.

Commands for one source are serialised by that source's lock; each request runs in
its own task, so a slow restart never holds up another source or the loop. The pool
can change at run time through :meth:`GatewayManager.apply`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import (
    Command,
    Connection,
    FaultKind,
    GatewayStatus,
    Heartbeat,
    PoolStatus,
    Reply,
    SourceConfig,
    WorkerCommand,
)
from tickhub_runtime.link import LinkWatch
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from . import assignment, process
from .plan import plan_pool
from .stops import ManualStops
from .tracker import SourceTracker

CHECK_INTERVAL_S = 0.1
"""How often heartbeat ages are checked (the hung verdict's resolution)."""

OPERATOR = "operator"
NATS_STEP_TIMEOUT_S = 1.0
"""Bound on each NATS call made while shutting down."""
CRASH_WAIT_S = 2.0
"""How long a crash fault's reply waits to show the exit."""
MEND_PAUSE_S = 2.0
"""After telling a worker what to hold, its heartbeats are not compared with the
assignment for this long: a heartbeat already on its way shows the old set."""

log = get_logger("tickhub.gateway.manager")


class _Source:
    """A tracker plus the live parts that are not pure: process, lock, watcher."""

    def __init__(self, config: SourceConfig) -> None:
        self.tracker = SourceTracker(config)
        self.lock = asyncio.Lock()
        self.process: asyncio.subprocess.Process | None = None
        self.ending = False
        """Set while we end the process on purpose: its exit is not a failure."""
        self.frozen = False
        """SIGSTOPped by the hang fault."""
        self.sent_at = 0.0
        """Monotonic time its status was last published."""
        self.assigned: frozenset[str] = frozenset()
        """Cold failover mode: the contracts the failover service assigned it."""
        self.held: frozenset[str] = frozenset()
        """What the current worker was started with or last told to hold."""
        self.mend_after = 0.0
        """Monotonic time before which a heartbeat's mismatch is not mended."""
        self.log = get_logger("tickhub.gateway.manager", source=config.name)


class GatewayManager:
    def __init__(self, settings: Settings, nc: Client, stops: ManualStops | None = None) -> None:
        self.settings = settings
        self.nc = nc
        self.stops = stops
        """Where manual stops are remembered; None: in memory only (tests, embedding)."""
        self.mode = settings.failover_mode
        self._sources: dict[str, _Source] = {}
        self._subscriptions: list[Subscription] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self._apply_lock = asyncio.Lock()
        self._closed = False

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to workers and commands; call before :meth:`apply`."""
        nc = self.nc
        self._subscriptions = [
            await nc.subscribe(subjects.HEARTBEAT_ALL, cb=self._on_heartbeat),
            await nc.subscribe(subjects.CONNECTION_ALL, cb=self._on_connection),
            await nc.subscribe(subjects.CONTROL_ALL, cb=self._spawn_task(self._on_command)),
            await nc.subscribe(subjects.POOL, cb=self._spawn_task(self._on_pool)),
        ]
        self._monitor = asyncio.create_task(self._watch_time(), name="gateway-monitor")

    async def close(self) -> None:
        """Stop every worker (grace, then SIGKILL) and stop listening.

        Commands already running finish first (each source's lock), so no process
        is ever left half-started; commands arriving later are refused. The workers
        go before anything that talks to NATS, which can hang when the server does.
        """
        if self._closed:
            return
        self._closed = True
        if self._monitor is not None:
            self._monitor.cancel()
            await asyncio.gather(self._monitor, return_exceptions=True)

        async def end(source: _Source) -> None:
            async with source.lock:
                await self._end(source, "manager shut down")

        async with self._apply_lock:
            await asyncio.gather(*(end(source) for source in list(self._sources.values())))
        for sub in self._subscriptions:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), NATS_STEP_TIMEOUT_S)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("every worker stopped")

    # --- the pool ----------------------------------------------------------------------------

    async def apply(self, configs: list[SourceConfig]) -> None:
        """Make the pool ``configs``: start new sources, stop removed ones, restart
        changed ones (a priority change only updates the status). Raises ValueError,
        changing nothing, when the list is invalid."""
        async with self._apply_lock:
            current = {name: s.tracker.config for name, s in self._sources.items()}
            plan = plan_pool(current, configs)
            if plan.empty:
                return
            log.info(
                "pool: add %s, remove %s, restart %s, update %s",
                [c.name for c in plan.add],
                plan.remove,
                [c.name for c in plan.restart],
                [c.name for c in plan.update],
            )
            jobs: list[Awaitable[None]] = []
            for config in plan.add:
                source = self._sources[config.name] = _Source(config)
                jobs.append(self._add(source))
            for name in plan.remove:
                jobs.append(self._remove(self._sources[name]))
            for config in plan.restart:
                jobs.append(self._reconfigure(self._sources[config.name], config))
            for config in plan.update:
                jobs.append(self._update(self._sources[config.name], config))
            await asyncio.gather(*jobs)

    def pool(self) -> PoolStatus:
        sources = sorted(
            self._sources.values(), key=lambda s: (s.tracker.config.priority, s.tracker.name)
        )
        at = datetime.now(UTC)
        return PoolStatus(gateways=[s.tracker.status(at) for s in sources])

    def status(self, name: str) -> GatewayStatus | None:
        source = self._sources.get(name)
        return source.tracker.status() if source else None

    async def _add(self, source: _Source) -> None:
        async with source.lock:
            tracker = source.tracker
            if not tracker.config.enabled:
                tracker.stopped(None, "disabled")
                await self._publish(source)
            elif await self._remembered_stop(tracker.name):
                tracker.manual_stop = True
                tracker.stopped(None, "stopped by an operator (remembered)")
                source.log.info("stays stopped: an operator stopped it")
                await self._publish(source)
            else:
                await self._spawn(source)

    async def _remembered_stop(self, name: str) -> bool:
        stops = self.stops
        if stops is None or name not in stops.names:
            return False
        # The api deletes a stop when it enables or deletes the account: ask the bucket.
        # When it cannot tell, the stop holds (an operator's stop is never guessed away).
        return await stops.held(name) is not False

    async def _remove(self, source: _Source) -> None:
        async with source.lock:
            await self._end(source, "removed from the pool")
            self._sources.pop(source.tracker.name, None)
            if source.tracker.manual_stop and self.stops is not None:
                # A new source of that name later is not the one an operator stopped.
                await self.stops.forget(source.tracker.name)

    async def _reconfigure(self, source: _Source, config: SourceConfig) -> None:
        async with source.lock:
            tracker = source.tracker
            was_running = source.process is not None
            was_enabled = tracker.config.enabled
            tracker.config = config
            if config.enabled and not was_enabled and tracker.manual_stop:
                # Enabling is an operator's decision that the source should run.
                source.log.info("enabled again: the manual stop is released")
                await self._release(source)
            if was_running:
                await self._end(source, "configuration changed")
            if not config.enabled:
                tracker.stopped(tracker.exit_code, "disabled")
                await self._publish(source)
            elif tracker.manual_stop:
                await self._publish(source)  # stays stopped until an operator starts it
            elif was_running or tracker.state == "stopped":  # not one that crashed
                tracker.restarts += int(was_running)
                await self._spawn(source)

    async def _release(self, source: _Source) -> None:
        """Drop the manual stop (caller holds the lock)."""
        source.tracker.manual_stop = False
        if self.stops is not None:
            await self.stops.forget(source.tracker.name)

    async def sync_manual_stops(self) -> None:
        """Release the sources whose stop is gone from the bucket (the api deleted it
        when enabling the account; an operator may ``nats kv del`` it), and start them
        if enabled. Checked under each source's lock, so a stop being made right now is
        never taken for a released one."""
        if self.stops is None:
            return
        for source in list(self._sources.values()):
            if not source.tracker.manual_stop:
                continue
            async with source.lock:
                tracker = source.tracker
                if self._closed or self._sources.get(tracker.name) is not source:
                    continue
                if not tracker.manual_stop or await self.stops.held(tracker.name) is not False:
                    continue
                source.log.info("its manual stop was released")
                tracker.manual_stop = False
                if tracker.config.enabled and source.process is None:
                    await self._spawn(source)
                else:
                    await self._publish(source)

    async def _update(self, source: _Source, config: SourceConfig) -> None:
        async with source.lock:
            source.tracker.config = config
            await self._publish(source)

    # --- processes ------------------------------------------------------------------------------

    async def _spawn(self, source: _Source) -> None:
        tracker = source.tracker
        config = assignment.worker_config(tracker.config, self.mode, source.assigned)
        try:
            proc = await process.spawn(config, self.settings)
        except OSError as error:
            source.log.error("could not start the worker: %s", error)
            tracker.spawn_failed(str(error))
            await self._publish(source)
            return
        source.process = proc
        source.frozen = False
        source.held = frozenset(config.all_symbols())
        tracker.spawned(proc.pid, time.monotonic(), datetime.now(UTC))
        source.log.info(
            "worker started (pid %d)%s",
            proc.pid,
            f" holding {sorted(source.held)}" if self.mode == "cold" else "",
        )
        await self._publish(source)
        self._track(asyncio.create_task(self._wait_exit(source, proc)))

    async def _wait_exit(self, source: _Source, proc: asyncio.subprocess.Process) -> None:
        returncode = await proc.wait()
        if source.process is not proc or source.ending:
            return  # ended on purpose: _end reports it
        source.process = None
        source.tracker.exited(returncode)
        source.log.warning("worker %d %s", proc.pid, source.tracker.reason)
        await self._publish(source)

    async def _end(self, source: _Source, why: str) -> None:
        """End the worker on purpose (caller holds the lock, or the manager is closing)."""
        proc = source.process
        tracker = source.tracker
        if proc is None:
            if tracker.state not in ("stopped", "exited"):
                tracker.stopped(tracker.exit_code, why)
            await self._publish(source)
            return
        source.ending = True
        try:
            tracker.stopping(why)
            await self._publish(source)
            returncode, killed = await process.terminate(proc, self.settings.restart_grace_s)
        finally:
            source.ending = False
        source.process = None
        source.frozen = False
        if killed:
            source.log.warning(
                "worker %d ignored SIGTERM for %.1f s: killed",
                proc.pid,
                self.settings.restart_grace_s,
            )
        tracker.stopped(returncode, why + (" (killed after the grace period)" if killed else ""))
        source.log.info("worker %d stopped: %s", proc.pid, tracker.reason)
        await self._publish(source)

    # --- commands -------------------------------------------------------------------------------

    async def command(self, name: str, command: Command) -> Reply:
        """Carry out one command (what ``tickhub.control.<name>`` does)."""
        source = self._sources.get(name)
        if source is None:
            known = ", ".join(sorted(self._sources)) or "none"
            return Reply(ok=False, error=f"unknown source {name!r} (known: {known})")
        async with source.lock:
            if self._sources.get(name) is not source or self._closed:
                return Reply(ok=False, error=f"source {name!r} is being removed")
            try:
                error = await self._carry_out(source, command)
            except Exception as failure:  # a bug must not leave the caller waiting
                source.log.exception("%s failed", command.action)
                error = f"{command.action} failed: {failure!r}"
            return Reply(ok=error is None, error=error, status=source.tracker.status())

    async def _carry_out(self, source: _Source, command: Command) -> str | None:
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
            return await self._assign(source, command)
        if action in ("start", "restart") and not tracker.config.enabled:
            return f"{tracker.name} is disabled: enable the account first"
        if action in ("start", "restart") and tracker.manual_stop and command.by != OPERATOR:
            return f"{tracker.name} was stopped by an operator; only an operator can start it again"
        if action == "start":
            if tracker.manual_stop:
                await self._release(source)
            if source.process is None:
                await self._spawn(source)
            else:
                await self._publish(source)
            return None
        if action == "stop":
            tracker.manual_stop = True
            if self.stops is not None:
                await self.stops.remember(tracker.name, command.by)
            await self._end(source, f"stopped by {command.by}")
            return None
        if action == "restart":
            if tracker.manual_stop:
                await self._release(source)
            # Marks the old process's end as part of a restart, so the health service
            # does not read the "stopped" in between as a stop anyone wants kept.
            tracker.restarting = True
            try:
                if source.process is not None:
                    await self._end(source, f"hard restart by {command.by}")
            finally:
                tracker.restarting = False
            tracker.restarts += 1
            await self._spawn(source)
            return None
        if command.fault is None:
            return "a fault command needs a fault: stall, resume, disconnect, hang or crash"
        return await self._fault(source, command.fault)

    async def _fault(self, source: _Source, kind: FaultKind) -> str | None:
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
            await self.nc.publish(
                subjects.worker_control(source.tracker.name),
                codec.encode(WorkerCommand(action="fault", fault="crash")),
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), CRASH_WAIT_S)
            return None
        return await self._forward(source, kind)

    async def _forward(self, source: _Source, kind: FaultKind) -> str | None:
        return await self._ask_worker(source, WorkerCommand(action="fault", fault=kind))

    async def _ask_worker(self, source: _Source, command: WorkerCommand) -> str | None:
        """Send the worker a command; its error, or None when it did it."""
        timeout = max(0.5, self.settings.command_timeout_s / 2)
        try:
            msg = await self.nc.request(
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

    # --- cold failover mode: what a worker holds --------------------------------------------

    async def _assign(self, source: _Source, command: Command) -> str | None:
        """Keep the new assignment and tell the running worker the difference (caller
        holds the lock). Without a running worker it is only kept: the next worker
        starts with it."""
        tracker = source.tracker
        if self.mode != "cold":
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
                sorted(assigned) or "nothing",
                command.by,
                sorted(source.assigned) or "nothing",
            )
            source.assigned = assigned
        return await self._hold(source, source.held)

    async def _hold(self, source: _Source, held: frozenset[str]) -> str | None:
        """Tell a running worker that holds ``held`` to hold what it should: the new
        contracts first, so a contract moving here is never held by nobody longer
        than it must (caller holds the lock)."""
        tracker = source.tracker
        if source.process is None or tracker.state != "running":
            # Not listening yet (starting), frozen (hung) or gone: a new worker starts
            # with the assignment, and a starting one is mended from its heartbeats.
            return None
        wanted = assignment.holding(tracker.config, self.mode, source.assigned)
        add, drop = assignment.changes(held, wanted)
        steps = [WorkerCommand(action="subscribe", vt_symbols=add)] if add else []
        steps += [WorkerCommand(action="unsubscribe", vt_symbols=drop)] if drop else []
        for step in steps:
            source.mend_after = time.monotonic() + MEND_PAUSE_S
            error = await self._ask_worker(source, step)
            what = f"{step.action} {', '.join(step.vt_symbols)}"
            if error is not None:
                source.log.warning("worker %s: %s failed: %s", tracker.pid, what, error)
                return f"{what} on the worker failed: {error}"
            source.log.info("worker %s: %s", tracker.pid, what)
        source.held = wanted
        source.mend_after = time.monotonic() + MEND_PAUSE_S
        return None

    def _check_holding(self, source: _Source, beat: Heartbeat, now: float) -> None:
        """Compare what the worker says it holds with what it should; mend a
        difference (a subscribe lost on the way, an assignment made while it started)."""
        wanted = assignment.holding(source.tracker.config, self.mode, source.assigned)
        said = frozenset(beat.subscribed)
        if said == wanted:
            source.held = wanted
            return
        if now < source.mend_after or source.lock.locked() or self._closed:
            return
        source.mend_after = now + MEND_PAUSE_S
        self._track(asyncio.create_task(self._mend(source, said, beat.pid)))

    async def _mend(self, source: _Source, said: frozenset[str], pid: int) -> None:
        async with source.lock:
            if self._closed or source.tracker.pid != pid or source.process is None:
                return  # another process by now: it starts with the assignment
            wanted = assignment.holding(source.tracker.config, self.mode, source.assigned)
            source.log.info(
                "worker %d holds %s, should hold %s: telling it", pid, sorted(said), sorted(wanted)
            )
            await self._hold(source, said)

    # --- NATS callbacks -------------------------------------------------------------------

    def _spawn_task(
        self, handler: Callable[[Msg], Coroutine[Any, Any, None]]
    ) -> Callable[[Msg], Awaitable[None]]:
        """nats-py runs a subscription's callbacks one at a time; a request must not
        wait for the one before it (a restart takes seconds)."""

        async def cb(msg: Msg) -> None:
            self._track(asyncio.create_task(handler(msg)))

        return cb

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_command(self, msg: Msg) -> None:
        name = msg.subject.rsplit(".", 1)[-1]
        try:
            command = codec.decode(msg.data, Command)
        except codec.DecodeError as error:
            reply = Reply(ok=False, error=f"bad command: {error}")
        else:
            reply = await self.command(name, command)
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(codec.encode(reply))

    async def _on_pool(self, msg: Msg) -> None:
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(codec.encode(self.pool()))

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            beat = codec.decode(msg.data, Heartbeat)
        except codec.DecodeError:
            log.warning("dropped a malformed heartbeat on %s", msg.subject)
            return
        source = self._sources.get(beat.source)
        now = time.monotonic()
        if source is not None and source.tracker.on_heartbeat(beat, now):
            await self._publish(source)
            if self.mode == "cold":
                self._check_holding(source, beat, now)

    async def _on_connection(self, msg: Msg) -> None:
        try:
            conn = codec.decode(msg.data, Connection)
        except codec.DecodeError:
            log.warning("dropped a malformed connection message on %s", msg.subject)
            return
        source = self._sources.get(conn.source)
        if source is not None and source.tracker.on_connection(conn):
            await self._publish(source)

    # --- time and publishing ---------------------------------------------------------------------

    async def _watch_time(self) -> None:
        settings = self.settings
        link = LinkWatch(self.nc, stale_s=min(0.6, settings.heartbeat_timeout_s / 2))
        link.start()
        try:
            await self._watch_time_with(link)
        finally:
            await link.close()

    async def _watch_time_with(self, link: LinkWatch) -> None:
        settings = self.settings
        while True:
            await asyncio.sleep(CHECK_INTERVAL_S)
            now = time.monotonic()
            # Cut off the bus (or on a half-open link) we hear no heartbeats: that says
            # nothing about the workers, so the silence is forgiven once we are back.
            if not link.hearing(now):
                continue
            if link.take_regained():
                for source in self._sources.values():
                    source.tracker.excuse_silence(now)
            for source in list(self._sources.values()):
                tracker = source.tracker
                if tracker.check(
                    now, settings.heartbeat_timeout_s, settings.worker_start_timeout_s
                ):
                    source.log.warning("worker %s: %s", tracker.pid, tracker.reason)
                    await self._publish(source)
            # A status published for a change also counts as the periodic one. A source
            # under its lock is mid-change (joining the pool, restarting): its tracker is
            # half-way, and the change publishes the outcome itself when it is done.
            for source in list(self._sources.values()):
                if source.lock.locked():
                    continue
                if now - source.sent_at >= settings.status_interval_s:
                    source.tracker.take_change()
                    await self._send_status(source)

    async def _publish(self, source: _Source) -> None:
        """Publish the status if it changed."""
        if source.tracker.take_change():
            await self._send_status(source)

    async def _send_status(self, source: _Source) -> None:
        status = source.tracker.status()
        source.sent_at = time.monotonic()
        try:
            await asyncio.wait_for(
                self.nc.publish(subjects.status(status.source), codec.encode(status)),
                NATS_STEP_TIMEOUT_S,
            )
        except Exception as error:
            source.log.warning("status not published: %r", error)
