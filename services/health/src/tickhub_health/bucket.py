"""The ``tickhub_health`` bucket: the newest verdict per source, for whoever starts later.

The failover service, the api and a restarted health service read the bucket. The
health service writes it off its judging path: :meth:`VerdictBucket.put` only notes
the newest value per key, and :meth:`VerdictBucket.write_loop` writes what is noted,
so a slow JetStream never delays a verdict on the subject. A bucket not available
(or deleted meanwhile) is opened, and created, again until the writes go through.
At start :meth:`VerdictBucket.open_bucket` also hands over what a previous run left.
"""

from __future__ import annotations

import asyncio

from nats.aio.client import Client
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec
from tickhub_contracts.messages import SourceHealth
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

log = get_logger("tickhub.health")

KV_STEP_S = 2.0
"""Bound on each bucket call."""
BUCKET_RETRY_S = 2.0


class VerdictBucket:
    """The bucket of one health service: :meth:`open_bucket`, then :meth:`write_loop`."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.bucket: KeyValue | None = None
        self._pending: dict[str, bytes | None] = {}
        """Bucket writes not done yet, the newest per key (None: delete)."""
        self._wake_writer = asyncio.Event()

    async def open_bucket(self, *, restore: bool) -> dict[str, bytes]:
        """Open the bucket, creating it; with ``restore`` what it holds (key -> value).
        Nothing when it is not available: the verdicts go out on NATS only until it is."""
        try:
            bucket = await kv.open_bucket(
                self.nc,
                buckets.HEALTH,
                create=True,
                description="tickhub: the health service's newest verdict per source",
            )
            found = await kv.snapshot(bucket) if restore else {}
        except Exception as error:
            log.warning(
                "bucket %s not available (%r): verdicts go out on NATS only until it is",
                buckets.HEALTH,
                error,
            )
            return {}
        self.bucket = bucket
        return found

    def put(self, source: str, health: SourceHealth | None) -> None:
        self._pending[buckets.health_key(source)] = None if health is None else codec.encode(health)
        self._wake_writer.set()

    async def write_loop(self) -> None:
        """Bucket writes off the judging path: a slow JetStream never delays a verdict
        on the subject, and only the newest value per key is written."""
        while True:
            await self._wake_writer.wait()
            self._wake_writer.clear()
            if self.bucket is None:
                await self.open_bucket(restore=False)
                if self.bucket is None:
                    await asyncio.sleep(BUCKET_RETRY_S)
                    self._wake_writer.set()
                    continue
            if not await self.flush_bucket():
                # Open it again before the retry: a bucket deleted meanwhile is
                # created anew rather than failed against for good.
                self.bucket = None
                await asyncio.sleep(BUCKET_RETRY_S)
                self._wake_writer.set()

    async def flush_bucket(self) -> bool:
        """Write what is pending; False when a write failed (it stays pending)."""
        bucket = self.bucket
        if bucket is None:
            return not self._pending
        while self._pending:
            key, value = next(iter(self._pending.items()))
            try:
                if value is None:
                    await asyncio.wait_for(bucket.delete(key), KV_STEP_S)
                else:
                    await asyncio.wait_for(bucket.put(key, value), KV_STEP_S)
            except Exception as error:
                log.warning("bucket %s: %s not written (%r)", buckets.HEALTH, key, error)
                return False
            if self._pending.get(key) is value:
                del self._pending[key]
        return True
