"""What the api knows of the running hub, kept current from the bus.

* the GatewayManager's newest :class:`GatewayStatus` of every source: from
  ``tickhub.status.*`` (the manager sends one on every change and every few
  seconds) and, at connect, from one ``tickhub.pool`` request so the view is whole
  at once rather than after the next round of statuses;
* the routing table (contract -> the source whose ticks go out) from the
  ``tickhub_routing`` bucket, watched. A watcher is replaced every
  :data:`RESYNC_S` with a fresh read of the whole bucket, so a watch lost in a NATS
  outage costs at most that long.

Nothing here talks to the database; :mod:`.gateways` joins this with the accounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute, GatewayStatus, PoolStatus
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

log = get_logger("tickhub.api.live")

RESYNC_S = 30.0
"""A routing watcher is read afresh this often."""
RETRY_S = 2.0
"""Wait before binding the routing bucket again (not created yet, or JetStream away)."""
FORGET_AFTER = timedelta(minutes=10)
"""A source silent this long (removed, renamed) is dropped from memory."""


class LiveBoard:
    def __init__(self, pool_timeout_s: float = 2.0) -> None:
        self.pool_timeout_s = pool_timeout_s
        self._statuses: dict[str, GatewayStatus] = {}
        self.routes: dict[str, str] = {}
        """vt_symbol -> source, as the routing bucket holds it."""
        self.routes_known = False
        """The bucket has been read at least once."""
        self._sub: Subscription | None = None
        self._routing: asyncio.Task[None] | None = None
        self._closing = False
        """Set by close(): the routing loop ends after its current step even if
        nats-py swallowed its cancellation (it can, while flushing a request)."""
        self._routing_failing = False

    # --- what the routes read ---------------------------------------------------------

    def status(self, source: str) -> GatewayStatus | None:
        return self._statuses.get(source)

    @property
    def statuses(self) -> Mapping[str, GatewayStatus]:
        return self._statuses

    def active_symbols(self, source: str) -> list[str]:
        return sorted(vt for vt, routed in self.routes.items() if routed == source)

    def take(self, status: GatewayStatus) -> None:
        """Keep ``status`` unless a newer one of its source is held (a pool reply can
        arrive after a newer status message)."""
        if status.at.tzinfo is None:
            return
        held = self._statuses.get(status.source)
        if held is None or status.at >= held.at:
            self._statuses[status.source] = status
        if len(self._statuses) > 64 and held is None:
            self._forget_silent(status.at)

    def _forget_silent(self, now: datetime) -> None:
        for name, old in list(self._statuses.items()):
            if now - old.at > FORGET_AFTER:
                del self._statuses[name]

    # --- wiring -----------------------------------------------------------------------

    async def attach(self, nc: Client) -> None:
        self._sub = await nc.subscribe(subjects.STATUS_ALL, cb=self._on_status)
        self._routing = asyncio.create_task(self._follow_routing(nc), name="api-routing")
        await self._ask_pool(nc)

    async def close(self) -> None:
        self._closing = True
        if self._routing is not None:
            self._routing.cancel()
            # Bounded: a shutdown must not hang on a cancellation nats-py swallowed.
            await asyncio.wait({self._routing}, timeout=2.0)
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._sub.unsubscribe(), 1.0)

    async def _ask_pool(self, nc: Client) -> None:
        try:
            reply = await nc.request(subjects.POOL, b"", timeout=self.pool_timeout_s)
            pool = codec.decode(reply.data, PoolStatus)
        except Exception as error:  # no manager yet: its statuses will come
            log.info("no pool snapshot (%s); waiting for status messages", type(error).__name__)
            return
        for status in pool.gateways:
            self.take(status)

    async def _on_status(self, msg: Msg) -> None:
        try:
            status = codec.decode(msg.data, GatewayStatus)
        except codec.DecodeError:
            log.debug("dropped a malformed status on %s", msg.subject)
            return
        if msg.subject == subjects.status(status.source):
            self.take(status)

    # --- routing ----------------------------------------------------------------------

    async def _follow_routing(self, nc: Client) -> None:
        while not self._closing:
            try:
                bucket = await kv.open_bucket(nc, buckets.ROUTING, create=False)
                await self._watch(bucket)
            except BucketNotFoundError:
                # No router has written yet: nothing is forwarded.
                self.routes = {}
                self.routes_known = True
                await asyncio.sleep(RETRY_S)
            except (NatsError, TimeoutError, OSError) as error:
                if not self._routing_failing:
                    self._routing_failing = True
                    log.warning(
                        "cannot read the %s bucket (%s); retrying",
                        buckets.ROUTING,
                        type(error).__name__,
                    )
                await asyncio.sleep(RETRY_S)

    async def _watch(self, bucket: KeyValue) -> None:
        """One watcher: the bucket's current content, then its changes, for RESYNC_S."""
        watcher = await bucket.watchall()
        try:
            table: dict[str, str] = {}
            synced = False
            deadline = time.monotonic() + RESYNC_S
            while (left := deadline - time.monotonic()) > 0 and not self._closing:
                try:
                    entry = await watcher.updates(timeout=left)  # type: ignore[no-untyped-call]
                except TimeoutError:
                    break
                if entry is None:  # the end of what the bucket held: the table is whole
                    synced = True
                elif entry.operation in kv.KV_DELETES:
                    with contextlib.suppress(ValueError):
                        table.pop(buckets.routing_vt_symbol(entry.key), None)
                else:
                    try:
                        route = codec.decode(entry.value or b"", ContractRoute)
                    except codec.DecodeError:
                        log.debug("dropped a malformed route under %s", entry.key)
                        continue
                    table[route.vt_symbol] = route.source
                if synced:
                    self.routes = dict(table)
                    self.routes_known = True
                    if self._routing_failing:
                        self._routing_failing = False
                        log.info("reading the %s bucket again", buckets.ROUTING)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(watcher.stop(), 1.0)  # type: ignore[no-untyped-call]
