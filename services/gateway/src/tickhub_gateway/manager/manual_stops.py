"""Manual stops that outlive the gateway service: the ``tickhub_manual_stops`` bucket.

An operator's ``stop`` means "nothing starts this source until someone starts it
again", and that must hold across a restart of the gateway service (a deploy, a
crash), or a restarted hub would bring back a source taken down on purpose. The
manager keeps the flag in memory (:class:`~.tracker.SourceTracker`) and mirrors it
here; this class is that mirror.

Why a JetStream KV bucket rather than a column on the account: every way of stopping
a source lands in the manager (the api, ``tickhub stop``, the failover service), and
a static pool (``TICKHUB_SOURCES``) has no account row to hold it; the bus is also the
one thing the manager can never run without, while the database may be down.

Writes are best effort: when JetStream does not answer, the stop still holds in
memory, the write is retried on the next :meth:`ManualStops.held` check, and the
failure is logged once, not on every attempt.

Not a :class:`tickhub_runtime.kv.BucketWriter`: that writer owns its keys and, after a
failure or a reconnect, writes back every key whose value is not what it wrote. Here
the api deletes a key to release a stop (:meth:`ManualStops.held` reads that), so a
writer converging the bucket would bring a released stop back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec
from tickhub_contracts.messages import ManualStop
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

log = get_logger("tickhub.gateway.stops")

JS_TIMEOUT_S = 1.0
"""Bound on each bucket call: a stop command waits for its write, and the caller
waits at most TICKHUB_COMMAND_TIMEOUT_S for the whole command."""

KvErrors = (NatsError, TimeoutError, OSError)
"""What a KV call raises when JetStream is away, off, or slow."""


class ManualStops:
    """The names an operator stopped, as the bucket has them."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self._kv: KeyValue | None = None
        self.names: set[str] = set()
        """What the bucket held when read at :meth:`load`, plus our own writes since."""
        self._unsaved: dict[str, str] = {}
        """Stops we could not write yet (JetStream away), name -> by: retried, never
        taken for gone."""
        self._failing = False

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            self._kv = await kv.open_bucket(
                self.nc,
                buckets.MANUAL_STOPS,
                create=True,
                description="tickhub: sources an operator stopped",
                js_timeout=JS_TIMEOUT_S,
            )
        return self._kv

    def _failed(self, doing: str, error: BaseException) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "manual stops: cannot %s the %s bucket (%s); they hold in memory and are "
                "written when JetStream answers",
                doing,
                buckets.MANUAL_STOPS,
                type(error).__name__,
            )

    def _ok(self) -> None:
        if self._failing:
            self._failing = False
            log.info("manual stops: the %s bucket answers again", buckets.MANUAL_STOPS)

    async def load(self) -> set[str] | None:
        """Read every remembered stop (at the service's start). Returns what was read;
        None, logged once, when JetStream does not answer."""
        try:
            bucket = await self._bucket()
            keys = sorted(await kv.snapshot(bucket, JS_TIMEOUT_S))
        except KvErrors as error:
            self._failed("read", error)
            return None
        self._ok()
        self.names = set(keys)
        if keys:
            log.info("remembered manual stops: %s", ", ".join(sorted(keys)))
        return set(keys)

    async def remember(self, source: str, by: str) -> None:
        self.names.add(source)
        record = ManualStop(source=source, at=datetime.now(UTC), by=by)
        try:
            bucket = await self._bucket()
            await bucket.put(buckets.manual_stop_key(source), codec.encode(record))
        except KvErrors as error:
            self._unsaved[source] = by
            self._failed("write", error)
            return
        self._unsaved.pop(source, None)
        self._ok()

    async def forget(self, source: str) -> None:
        self.names.discard(source)
        self._unsaved.pop(source, None)
        try:
            bucket = await self._bucket()
            await bucket.delete(buckets.manual_stop_key(source))
        except KvErrors as error:
            self._failed("write", error)
            return
        self._ok()

    async def held(self, source: str) -> bool | None:
        """Does the bucket still hold ``source``'s stop? None when it cannot tell.

        A stop we could not write yet is written now and counts as held: only a key
        that was there and is gone (the api deleted it: the account was enabled or
        deleted) releases a source.
        """
        if source in self._unsaved:
            await self.remember(source, self._unsaved[source])
            return True
        try:
            bucket = await self._bucket()
            await bucket.get(buckets.manual_stop_key(source))
        except (KeyNotFoundError, KeyDeletedError):
            self._ok()
            self.names.discard(source)
            return False
        except KvErrors as error:
            self._failed("read", error)
            return None
        self._ok()
        return True
