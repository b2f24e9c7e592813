"""Keeps the ``tickhub_routing`` bucket equal to the routing table, off the hot path.

:meth:`RoutingStore.want` only records the newest table (and the events it answers);
one task writes the difference to what the bucket holds: ``put`` for a changed
contract, ``delete`` for a contract no source serves. A burst of changes is written
once, in its final state. The task trusts its own idea of the bucket only until
something may have changed it behind its back: after an error, after a reconnect
and every ``verify_s`` it reads the bucket whole again (a bucket deleted by hand is
created and filled again), so the bucket converges whatever happened to it.

The events of a change go out on ``tickhub.failover.event`` once the routing that
carries them is written, with ``switched_ms`` measured from the verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Mapping

import msgspec
from nats.aio.client import Client
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

from .router import Change

log = get_logger("tickhub.failover.store")

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


class RoutingStore:
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
        self.verify_s = verify_s
        self.clock = clock
        self._wanted: dict[str, ContractRoute] | None = None
        """None until the first table: nothing is written (or deleted) before it."""
        self._events: list[Change] = []
        self._written: dict[str, bytes] | None = None
        """Key -> value the bucket holds, as far as we know; None: read it first."""
        self._kv: KeyValue | None = None
        self._reconnects = nc.stats["reconnects"]
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failing = False
        self.reads = 0
        """Full reads of the bucket so far."""

    async def load(self) -> dict[str, ContractRoute]:
        """What the bucket holds now (creating it if missing), retried until it
        answers: the routing a restarted service starts from."""
        while True:
            try:
                raw = await self._read()
            except Exception as error:
                self._fail("read", error)
                await asyncio.sleep(self.retry_s)
                continue
            self._recovered()
            return decode_routes(raw)

    def want(self, routes: Mapping[str, ContractRoute], changes: list[Change]) -> None:
        """The newest table (vt_symbol -> route); returns at once."""
        self._wanted = dict(routes)
        self._events.extend(changes)
        self._changed.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="failover-routing-store")

    async def close(self) -> None:
        self._closing = True
        self._changed.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # nats-py can swallow a cancellation inside a request: never wait for good.
            await asyncio.wait({task}, timeout=kv.JS_TIMEOUT_S)

    async def _read(self) -> dict[str, bytes]:
        self._reconnects = self.nc.stats["reconnects"]
        bucket = await kv.open_bucket(
            self.nc, buckets.ROUTING, create=True, description=DESCRIPTION
        )
        raw = await kv.snapshot(bucket)
        self._kv = bucket
        self._written = raw
        self.reads += 1
        return raw

    def _stopping(self) -> bool:
        # A method, not the attribute: close() sets it while the loop awaits.
        return self._closing

    async def _run(self) -> None:
        while not self._stopping():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.verify_s)
            if self._stopping():
                return
            if not self._changed.is_set():
                self._written = None  # the periodic check: read it all again
            self._changed.clear()
            if self._wanted is None:
                continue
            try:
                await self._converge()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._fail("write", error)
                self._written = None
                await asyncio.sleep(self.retry_s)
                self._changed.set()
                continue
            self._recovered()

    async def _converge(self) -> None:
        if self.nc.stats["reconnects"] != self._reconnects:
            self._written = None  # the server may hold another history now
        if self._written is None or self._kv is None:
            await self._read()
        assert self._written is not None and self._kv is not None and self._wanted is not None
        wanted = self._wanted
        events, self._events = self._events, []
        try:
            for vt_symbol, route in sorted(wanted.items()):
                key = buckets.routing_key(vt_symbol)
                value = codec.encode(route)
                if self._written.get(key) == value:
                    continue
                await self._kv.put(key, value)
                self._written[key] = value
            keep = {buckets.routing_key(vt) for vt in wanted}
            for key in sorted(self._written.keys() - keep):
                await self._kv.delete(key)
                del self._written[key]
        except BaseException:
            self._events = events + self._events  # announce them with the write that lands
            raise
        written_at = self.clock()
        for change in events:
            await self._announce(change, written_at)

    async def _announce(self, change: Change, written_at: dt.datetime) -> None:
        event = change.event
        if change.verdict_at is not None:
            switched = (written_at - change.verdict_at).total_seconds() * 1000
            event = msgspec.structs.replace(event, switched_ms=round(max(switched, 0.0), 1))
        await self.nc.publish(subjects.FAILOVER_EVENT, codec.encode(event))

    def _fail(self, what: str, error: Exception) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "routing bucket %s: cannot %s (%s: %s); retrying every %g s",
                buckets.ROUTING,
                what,
                type(error).__name__,
                error,
                self.retry_s,
            )

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("routing bucket %s: written again", buckets.ROUTING)
