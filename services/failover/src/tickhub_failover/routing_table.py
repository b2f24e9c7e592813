"""The routing table: keeps the ``tickhub_routing`` bucket equal to the routes the
service decided, off the hot path, and announces each change once it is written.

:meth:`RoutingTable.want` only hands the newest table (and the events it answers)
to a :class:`~tickhub_runtime.kv.BucketWriter` that owns the whole bucket
(``exclusive``): ``put`` for a changed contract, ``delete`` for a contract no source
serves; a burst of changes is written once, in its final state. The writer trusts
its own idea of the bucket only until something may have changed it behind its
back: after an error, after a reconnect and every ``verify_s`` it reads the bucket
whole again (a bucket deleted by hand is created and filled again), so the bucket
converges whatever happened to it. After a reconnect the bucket is read whole
before the next table is handed over (the server may hold another history now), so
what is written is measured against what the bucket holds. Nothing is written
before the first table.

The events of a change go out on ``tickhub.failover.event`` once the routing that
carries them is written (:meth:`BucketWriter.flush`), with ``switched_ms`` measured
from the verdict.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping

import msgspec
from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

from .router import Change

log = get_logger("tickhub.failover.routing")

DESCRIPTION = "tickhub: the sources whose ticks go out, per contract (failover service)"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def decode_routes(raw: Mapping[str, bytes]) -> dict[str, ContractRoute]:
    """Bucket content -> vt_symbol -> route; keys or values that do not fit are left
    out (the next write replaces them)."""
    routes: dict[str, ContractRoute] = {}
    for key, value in raw.items():
        try:
            vt_symbol = buckets.routing_vt_symbol(key)
            route = codec.decode(value, ContractRoute)
        except (subjects.InvalidToken, *codec.DecodeError):
            continue
        if route.vt_symbol == vt_symbol:
            routes[vt_symbol] = route
    return routes


class RoutingTable:
    """The routes in ``tickhub_routing``: :meth:`load`, then :meth:`want` each new
    table; :meth:`close` at the end."""

    def __init__(
        self,
        nc: Client,
        *,
        retry_s: float = 0.5,
        verify_s: float = 5.0,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> None:
        self.nc = nc
        self.retry_s = retry_s
        self.clock = clock
        self.writer = kv.BucketWriter(
            nc,
            buckets.ROUTING,
            description=DESCRIPTION,
            retry_s=retry_s,
            max_retry_s=retry_s,
            verify_s=verify_s,
            exclusive=True,
            log=log,
        )
        self._loads = 0
        self._reconnects = nc.stats["reconnects"]
        self._table: dict[str, bytes] | None = None
        """The newest table not handed to the writer yet."""
        self._events: list[Change] = []
        """Events of tables handed over, not announced yet (their write has not landed)."""
        self._news = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def reads(self) -> int:
        """Full reads of the bucket so far (the start's and the writer's read-backs)."""
        return self._loads + self.writer.verifies

    async def load(self) -> dict[str, ContractRoute]:
        """What the bucket holds now (creating it if missing), retried until it
        answers: the routing a restarted service starts from."""
        failing = False
        while True:
            try:
                raw = await self.writer.load()
            except Exception as error:
                if not failing:
                    failing = True
                    log.warning(
                        "routing bucket %s: cannot read (%s: %s); retrying every %g s",
                        buckets.ROUTING,
                        type(error).__name__,
                        error,
                        self.retry_s,
                    )
                await asyncio.sleep(self.retry_s)
                continue
            if failing:
                log.info("routing bucket %s: read again", buckets.ROUTING)
            self._loads += 1
            self._reconnects = self.nc.stats["reconnects"]
            return decode_routes(raw)

    def want(self, routes: Mapping[str, ContractRoute], changes: list[Change]) -> None:
        """The newest table (vt_symbol -> route); returns at once. The first one
        starts the writing: nothing is written (or deleted) before it."""
        self._table = {buckets.routing_key(vt): codec.encode(r) for vt, r in routes.items()}
        self._events.extend(changes)
        if self._task is None:
            self._task = asyncio.create_task(self._announce_loop(), name="failover-events")
        self._news.set()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=kv.JS_TIMEOUT_S)
        await self.writer.close(kv.JS_TIMEOUT_S)

    async def _announce_loop(self) -> None:
        """Hand every new table to the writer, and announce its events once it is
        written."""
        while True:
            await self._news.wait()
            self._news.clear()
            while self._events or self._table is not None:
                while self._table is not None:
                    await self._hand_over()
                # No wait since the last hand-over: every event's table is with the
                # writer, so a flush from here covers them all.
                events = list(self._events)
                if not events:
                    break
                if not await self.writer.flush(kv.JS_TIMEOUT_S):
                    continue
                del self._events[: len(events)]
                written_at = self.clock()
                for change in events:
                    await self._announce(change, written_at)

    async def _hand_over(self) -> None:
        table, self._table = self._table, None
        if table is None:
            return
        reconnects = self.nc.stats["reconnects"]
        if reconnects != self._reconnects:
            # Read the bucket whole first: what it holds is what the table is
            # measured against (a failed read leaves it to the writer's read-back).
            try:
                await self.writer.load()
            except Exception as error:
                log.debug("routing bucket not read after a reconnect (%r)", error)
            else:
                self._loads += 1
                self._reconnects = reconnects
        self.writer.replace(table)
        self.writer.start()

    async def _announce(self, change: Change, written_at: dt.datetime) -> None:
        event = change.event
        if change.verdict_at is not None:
            switched = (written_at - change.verdict_at).total_seconds() * 1000
            event = msgspec.structs.replace(event, switched_ms=round(max(switched, 0.0), 1))
        try:
            await self.nc.publish(subjects.FAILOVER_EVENT, codec.encode(event))
        except Exception as error:  # the bus is away: the log line is what remains
            log.debug("failover event not published (%r)", error)
