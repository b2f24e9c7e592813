"""The routing table, mirrored into the ``tickhub_routing`` bucket for everyone else.

The bridge decides per contract whose ticks go out (:mod:`.selection`); the api's
live view shows it ("active symbols" of each source) and issue 4's failover service
will take over writing it. Key ``<exchange>.<symbol>``, value
:class:`~tickhub_contracts.messages.ContractRoute`; a contract no source serves has
no key.

Writes happen off the tick path: :meth:`RoutingBook.update` only records the newest
table, and one task writes the difference to what it wrote before. A burst of
changes is written once, in its final state; while JetStream does not answer, the
task retries (logging once) and then writes whatever is current by then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

log = get_logger("tickhub.publisher.routing")

RETRY_S = 1.0
CLOSE_TIMEOUT_S = 1.0
"""Bound on clearing the bucket at shutdown: a frozen server must not hold it up."""


class RoutingBook:
    """Writes the newest routing table (vt_symbol -> source) to the bucket."""

    def __init__(self, nc: Client, *, by: str = "publisher") -> None:
        self.nc = nc
        self.by = by
        self._wanted: dict[str, str] = {}
        self._written: dict[str, str] | None = None
        """What the bucket holds as far as we know; None: unknown, read it first."""
        self._changed = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._kv: KeyValue | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        """Set by close(): the task ends after its current step even if nats-py
        swallowed its cancellation (it does, while flushing a publish)."""
        self._failing = False
        self.writes = 0

    def update(self, routes: Mapping[str, str]) -> None:
        """Take the newest table (from the event loop; never blocks the tick path)."""
        self._wanted = dict(routes)
        self._idle.clear()
        self._changed.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="publisher-routing")

    async def settled(self) -> None:
        """Until the bucket holds the newest table (tests)."""
        await self._idle.wait()

    async def close(self, *, clear: bool = True) -> None:
        """Stop writing; with ``clear``, delete what we wrote (a publisher that is gone
        forwards nothing). Bounded by :data:`CLOSE_TIMEOUT_S` per step, and never
        waiting on a task for good: nats-py can swallow a cancellation, and a
        shutdown must not hang on it."""
        self._closing = True
        self._changed.set()  # wakes the task to see _closing, whatever became of its cancel
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=CLOSE_TIMEOUT_S)
        if clear and self.nc.is_connected and self._written:
            self._wanted = {}
            clearing = asyncio.create_task(self._sync())
            await asyncio.wait({clearing}, timeout=CLOSE_TIMEOUT_S)
            if not clearing.done():
                clearing.cancel()
            elif not clearing.cancelled() and clearing.exception() is not None:
                log.info("routing not cleared at stop: %r", clearing.exception())

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            if self._closing:
                return
            self._changed.clear()
            try:
                await self._sync()
            except (NatsError, TimeoutError, OSError) as error:
                if not self._failing:
                    self._failing = True
                    log.warning(
                        "routing not written to the %s bucket (%s); retrying",
                        buckets.ROUTING,
                        type(error).__name__,
                    )
                self._written = None  # a write may or may not have landed: read again
                self._kv = None
                await asyncio.sleep(RETRY_S)
                self._changed.set()
                continue
            if self._failing:
                self._failing = False
                log.info("routing written to the %s bucket again", buckets.ROUTING)
            if not self._changed.is_set():
                self._idle.set()

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            self._kv = await kv.open_bucket(
                self.nc,
                buckets.ROUTING,
                create=True,
                description="tickhub: contract -> the source whose ticks go out now",
            )
        return self._kv

    async def _sync(self) -> None:
        bucket = await self._bucket()
        if self._written is None:
            # Left by an earlier run: every key is checked against the table below.
            keys = await kv.snapshot(bucket)
            self._written = {}
            for key in keys:
                with contextlib.suppress(subjects.InvalidToken):
                    self._written[buckets.routing_vt_symbol(key)] = ""
        wanted = self._wanted
        written = self._written
        now = datetime.now(UTC)
        for vt_symbol, source in sorted(wanted.items()):
            if written.get(vt_symbol) == source:
                continue
            try:
                key = buckets.routing_key(vt_symbol)
            except subjects.InvalidToken:
                continue  # cannot be a key; the tick path validated it long ago anyway
            route = ContractRoute(vt_symbol=vt_symbol, source=source, at=now, by=self.by)
            await bucket.put(key, codec.encode(route))
            written[vt_symbol] = source
            self.writes += 1
        for vt_symbol in sorted(written.keys() - wanted.keys()):
            await bucket.delete(buckets.routing_key(vt_symbol))
            written.pop(vt_symbol, None)
            self.writes += 1
