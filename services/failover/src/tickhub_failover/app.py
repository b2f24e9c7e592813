"""The failover service: from the health verdicts to the routing, and hard restarts.

Inputs: the ``tickhub_health`` bucket (a :class:`~tickhub_runtime.kv.Mirror`, read
whole at start and after every reconnect) and ``tickhub.health.*`` (the same verdicts,
sooner: a message newer than the mirror's value wins, by ``at``).

On every change, and when a hold or a cool-down ends, it decides again:

* the routing (:mod:`.router`), written to ``tickhub_routing`` (its entries by
  :mod:`.decisions`) by :mod:`.routing_table`, with a :class:`FailoverEvent` on
  ``tickhub.failover.event`` per change, logged in detail (:mod:`.log_lines`);
* in cold mode, each source's assignment (:mod:`.decisions`, told by :mod:`.assign`);
* hard restarts (:mod:`.restarts`): ``Command(action="restart", by="failover")`` on
  ``tickhub.control.<source>``, and a :class:`RestartEvent` on
  ``tickhub.restart.<source>`` for every decision.

At start it reads what the routing bucket holds and starts from it; until the health
bucket has been read it decides nothing, so a restarted failover service leaves a
routing that is right untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    Command,
    ContractRoute,
    Reply,
    RestartEvent,
    SourceHealth,
)
from tickhub_runtime import listen, service
from tickhub_runtime.kv import Mirror
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .assign import Assigner
from .decisions import BY, assignments, contract_routes
from .log_lines import log_change, log_restart, log_routes
from .restarts import Notice, Restart, RestartPolicy, RestartSettings
from .router import Choice, Router
from .routing_table import RoutingTable, now_utc

log = get_logger("tickhub.failover")

HEALTH_DESCRIPTION = "tickhub: the health service's newest verdict per source"
MAX_SLEEP_S = 1.0
"""Decide again at least this often, news or not (a safety net under the deadlines)."""


def decode_health(raw: bytes) -> SourceHealth:
    return codec.decode(raw, SourceHealth)


class FailoverService:
    def __init__(
        self,
        settings: Settings,
        nc: Client,
        *,
        clock: Callable[[], dt.datetime] = now_utc,
        verify_s: float = 5.0,
        assign_period_s: float = 3.0,
    ) -> None:
        self.settings = settings
        self.nc = nc
        self.clock = clock
        self.mode = settings.failover_mode
        self.router = Router(settings.failover_mode, settings.failback_hold_s)
        self.policy = RestartPolicy(RestartSettings.of(settings))
        self.store = RoutingTable(nc, verify_s=verify_s, clock=clock)
        """The routes in ``tickhub_routing``, and the events once they are written."""
        self.assigner = (
            Assigner(nc, timeout_s=settings.command_timeout_s, period_s=assign_period_s)
            if self.mode == "cold"
            else None
        )
        self.health: dict[str, SourceHealth] = {}
        """source -> its newest verdict (from the bucket or the subject)."""
        self.routes: dict[str, ContractRoute] = {}
        """What the bucket should hold: vt_symbol -> route."""
        self.ready = asyncio.Event()
        """Set once the routing bucket and the health bucket have been read."""
        self.evaluations = 0
        self._gone: dict[str, dt.datetime] = {}
        """source -> when its verdict was deleted (a late message must not revive it)."""
        self._mirror: Mirror[SourceHealth] = Mirror(
            nc,
            buckets.HEALTH,
            decode_health,
            on_change=self._on_bucket,
            create=True,
            description=HEALTH_DESCRIPTION,
        )
        self._verdicts: listen.Listener[SourceHealth] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._orders: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        self._verdicts = await listen.subscribe(
            self.nc,
            subjects.HEALTH_ALL,
            SourceHealth,
            self._on_verdict,
            what="health verdict",
            log=log,
        )
        self._mirror.start()
        if self.assigner is not None:
            self.assigner.start()
        self._task = asyncio.create_task(self._run(), name="failover")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=2.0)
        for order in list(self._orders):
            order.cancel()
        if self._orders:
            await asyncio.wait(self._orders, timeout=2.0)
        if self._verdicts is not None:
            await self._verdicts.close()
        if self.assigner is not None:
            await self.assigner.close()
        await self._mirror.close()
        await self.store.close()

    async def _run(self) -> None:
        seed = await self.store.load()
        self.routes = seed
        self.router.routes = {
            vt: Choice(r.source, r.eligible_sources(), r.degraded) for vt, r in seed.items()
        }
        await self._mirror.ready.wait()
        log.info(
            "ready: %s mode, failback hold %g s, restart cool-down %g s; %d route(s) in the "
            "bucket, %d source(s) judged",
            self.mode,
            self.settings.failback_hold_s,
            self.settings.restart_cooldown_s,
            len(seed),
            len(self.health),
        )
        self.ready.set()
        first = True
        while True:
            self._wake.clear()
            now = self.clock()
            try:
                self._decide(now, first)
            except Exception:  # a bug must not end the service: log it, decide again
                log.exception("deciding the routing failed")
            first = False
            dues = [
                due
                for due in (self.router.next_due(now), self.policy.next_due(self.health, now))
                if due is not None
            ]
            sleep = MAX_SLEEP_S
            if dues:
                sleep = min(sleep, max((min(dues) - now).total_seconds(), 0.0) + 0.005)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), sleep)

    # --- inputs ---------------------------------------------------------------------

    def _on_bucket(self, key: str, verdict: SourceHealth | None) -> None:
        if verdict is None:
            if self.health.pop(key, None) is not None:
                self._gone[key] = self.clock()
                self._wake.set()
            return
        current = self.health.get(key)
        if current is None or verdict.at >= current.at:
            self.health[key] = verdict
            self._gone.pop(key, None)
            self._wake.set()

    def _on_verdict(self, subject: str, verdict: SourceHealth) -> None:
        name = verdict.source
        if subject != subjects.health(name):
            return
        gone_at = self._gone.get(name)
        if gone_at is not None and verdict.at <= gone_at:
            return
        current = self.health.get(name)
        if current is None or verdict.at > current.at:
            self.health[name] = verdict
            self._gone.pop(name, None)
            self._wake.set()

    # --- decisions ------------------------------------------------------------------

    def _decide(self, now: dt.datetime, first: bool) -> None:
        """One decision, from the newest verdicts:

        1. the router's table and the events that describe the change;
        2. the bucket's entries for it; on a change (and on the first decision) they
           are logged and handed to the routing table (it writes them, then announces the
           events);
        3. in cold mode, each source's contracts, handed to the assigner;
        4. the restart policy's decisions: orders sent, the rest announced.
        """
        self.evaluations += 1
        changes = self.router.update(self.health, now)
        routes = contract_routes(self.router.routes, self.routes, self.mode, now)
        if first or changes or routes != self.routes:
            log_routes(self.routes, routes, changes)
            self.routes = routes
            for change in changes:
                log_change(change)
            self.store.want(routes, changes)
        if self.assigner is not None:
            self.assigner.want(assignments(self.health, self.router.routes))
        for action in self.policy.step(self.health, now):
            if isinstance(action, Restart):
                task = asyncio.create_task(self._order(action), name=f"restart-{action.source}")
                self._orders.add(task)
                task.add_done_callback(self._orders.discard)
            else:
                self._restart_event(action)

    # --- hard restarts --------------------------------------------------------------

    async def _order(self, restart: Restart) -> None:
        name = restart.source
        self._restart_event(Notice(name, "ordered", restart.attempt, restart.reason))
        # The manager answers after the old process is gone: SIGTERM, then SIGKILL
        # after restart_grace_s, then a new spawn.
        timeout = self.settings.command_timeout_s + self.settings.restart_grace_s
        command = Command(action="restart", by=BY)
        try:
            msg = await self.nc.request(
                subjects.control(name), codec.encode(command), timeout=timeout
            )
            reply = codec.decode(msg.data, Reply)
            error = None if reply.ok else (reply.error or "refused without a reason")
        except asyncio.CancelledError:
            raise
        except Exception as failure:
            error = f"the gateway manager did not answer ({type(failure).__name__})"
        if error is not None:
            self.policy.refused(name)
            self._restart_event(Notice(name, "refused", restart.attempt, error))
            self._wake.set()

    def _restart_event(self, notice: Notice) -> None:
        event = RestartEvent(
            at=self.clock(),
            source=notice.source,
            action=notice.action,
            attempt=notice.attempt,
            reason=notice.reason,
            next_in_s=notice.next_in_s,
        )
        log_restart(notice)
        task = asyncio.ensure_future(
            self.nc.publish(subjects.restart(notice.source), codec.encode(event))
        )
        task.add_done_callback(_quiet)


def _quiet(task: asyncio.Future[None]) -> None:
    """Retrieve a publish's exception: with the bus away the log line is what remains."""
    if not task.cancelled():
        task.exception()


main = service.on_bus("failover", FailoverService)
"""``main(settings, stop)``: connect, run a :class:`FailoverService` until stopped, drain."""
