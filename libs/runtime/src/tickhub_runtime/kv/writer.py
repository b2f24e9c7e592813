"""The newest value per key of one bucket, written in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from nats.aio.client import Client
from nats.js.errors import InvalidKeyError
from nats.js.kv import KeyValue

from .bucket import JS_TIMEOUT_S, bounded, open_bucket, snapshot

_log = logging.getLogger("tickhub.kv")

Log = logging.Logger | logging.LoggerAdapter[logging.Logger]

RECONNECT_CHECK_S = 1.0
"""How often an idle :class:`BucketWriter` that verifies looks for a reconnect."""


class BucketWriter:
    """The newest value per key of one bucket, written in the background.

    Why: a service's bucket is its state for whoever starts later, and its writes
    must neither slow the service down nor go missing. :meth:`put` only notes the
    newest value of a key and returns at once (a slow or frozen JetStream never
    delays the service's real work); one task writes what is noted. So:

    * **coalescing**: only the newest value of a key is written. A key put again
      while its write is in flight is written once more, with the newer value;
      a hundred puts while the server is away are one write when it is back;
    * **reopening**: after any failure the bucket is opened again before the next
      try, so a bucket deleted meanwhile is created anew (``create``; without it
      the writer waits for the bucket's owner to make it);
    * **bounded retries**: each call is bounded by ``step_s``; after a failure the
      writer waits ``retry_s``, doubling up to ``max_retry_s``, and tries again
      (for good: a newest-value store must converge; with ``max_attempts`` a
      value still pending after that many failed tries is given up instead, with
      an ERROR line; a newer put of its key starts the count again). A key nats
      refuses as invalid is given up at once: it could never be written;
    * **verifying**: after a failure and after a reconnect (noticed at the next
      write; within a second when ``verify_s`` is set), and every ``verify_s``, it
      reads the bucket back and writes again every key whose value is
      not what it wrote: a restarted server that lost its store, a write that timed
      out here but landed late, a key deleted by hand all converge. With
      ``exclusive`` the writer owns the whole bucket: once :meth:`replace` told it
      the whole content, keys it does not hold are deleted too;
    * **shutdown**: :meth:`flush` waits, bounded, until what was put is written;
      :meth:`close` flushes, then stops the task.

    Log lines name the bucket and the key, in the text and as the record's
    ``bucket`` and ``key`` fields; a failing spell logs one WARNING, then DEBUG
    lines, and one INFO line when writes go through again.
    """

    def __init__(
        self,
        nc: Client,
        bucket: str,
        *,
        create: bool = True,
        description: str = "",
        step_s: float = JS_TIMEOUT_S,
        retry_s: float = 0.5,
        max_retry_s: float = 5.0,
        max_attempts: int | None = None,
        verify_s: float | None = None,
        exclusive: bool = False,
        log: Log | None = None,
    ) -> None:
        self.nc = nc
        self.bucket = bucket
        self.create = create
        self.description = description
        self.step_s = step_s
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self.max_attempts = max_attempts
        self.verify_s = verify_s
        self.exclusive = exclusive
        self.log: Log = log or _log
        self.writes = 0
        """Puts and deletes that went through."""
        self.failures = 0
        """Failed steps (an open, a write or a read-back) since the start."""
        self.dropped = 0
        """Keys given up on (invalid, or ``max_attempts`` reached)."""
        self.verifies = 0
        """Read-backs of the whole bucket."""
        self._values: dict[str, bytes] = {}
        """The newest value of every key this writer holds (a deleted key is absent)."""
        self._dirty: dict[str, int] = {}
        """Keys not written yet, oldest first -> the sequence number of their newest put."""
        self._seq = 0
        self._attempts: dict[str, int] = {}
        self._kv: KeyValue | None = None
        self._opened = False
        self._complete = False
        self._verify_due = False
        self._verified_at = float("-inf")
        self._reconnects = nc.stats["reconnects"]
        self._failing = 0
        """Consecutive failed steps (the backoff and the recovery line)."""
        self._doing: tuple[str, str | None] = ("open", None)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # --- what the service calls -----------------------------------------------------

    def put(self, key: str, value: bytes | None) -> None:
        """Note ``value`` as the newest of ``key`` (None: delete the key); returns at
        once, the write follows in the background."""
        if value is None:
            self._values.pop(key, None)
        else:
            self._values[key] = value
        self._attempts.pop(key, None)
        self._mark(key)

    def replace(self, values: Mapping[str, bytes]) -> None:
        """Make ``values`` the whole content this writer holds: put what changed,
        delete the keys it holds that ``values`` lacks. With ``exclusive`` the
        bucket's other keys go too, at the next read-back."""
        for key in [key for key in self._values if key not in values]:
            self.put(key, None)
        for key, value in values.items():
            if self._values.get(key) != value:
                self.put(key, value)
        self._complete = True

    async def load(self) -> dict[str, bytes]:
        """Open the bucket (creating it with ``create``) and read it whole: what a
        previous run left. Its keys become this writer's, unless put since. Raises
        what :func:`open_bucket` and :func:`snapshot` raise."""
        bucket = await self._bucket()
        try:
            found = await snapshot(bucket, self.step_s)
        except Exception:
            self._kv = None
            raise
        for key, value in found.items():
            if key not in self._dirty:
                self._values[key] = value
        return found

    def start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name=f"kv-writer-{self.bucket}")

    async def flush(self, timeout_s: float) -> bool:
        """Wait until every value put so far is written: True; False when
        ``timeout_s`` passed first (what is pending stays pending). Starts the
        writer if it was not."""
        if self._task is None:
            if self._closed:
                return not self._dirty
            self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        return self._idle.is_set()

    async def close(self, timeout_s: float = JS_TIMEOUT_S) -> bool:
        """:meth:`flush` (at most ``timeout_s``), then stop writing. Returns whether
        everything was written; what was not is logged."""
        flushed = await self.flush(timeout_s)
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # nats-py can swallow a cancellation inside a request: never wait for good.
            await asyncio.wait({task}, timeout=self.step_s)
        if not flushed and self._dirty:
            self.log.warning(
                "bucket %s: %d key(s) not written at close: %s",
                self.bucket,
                len(self._dirty),
                ", ".join(list(self._dirty)[:10]),
                extra={"bucket": self.bucket, "key": None},
            )
        return flushed

    @property
    def values(self) -> Mapping[str, bytes]:
        """The newest value of every key this writer holds (written or not yet)."""
        return MappingProxyType(self._values)

    @property
    def pending(self) -> list[str]:
        """Keys whose newest value is not written yet, oldest first."""
        return list(self._dirty)

    @property
    def failing(self) -> bool:
        """True while the last step failed (the bucket does not answer)."""
        return self._failing > 0

    # --- the writing task -------------------------------------------------------------

    def _mark(self, key: str) -> None:
        self._seq += 1
        self._dirty[key] = self._seq  # a key already pending keeps its place
        self._idle.clear()
        self._wake.set()

    def _verify_wanted(self) -> bool:
        if not self._values and not (self.exclusive and self._complete):
            return False  # nothing of ours to compare the bucket with
        if self._verify_due or self.nc.stats["reconnects"] != self._reconnects:
            return True
        return self.verify_s is not None and time.monotonic() - self._verified_at >= self.verify_s

    async def _run(self) -> None:
        while True:
            if not self._dirty and not self._verify_wanted():
                self._idle.set()
                await self._until_wanted()
                continue
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await asyncio.sleep(self._failed(error))
            else:
                self._recovered()

    async def _until_wanted(self) -> None:
        """Sleep until a put, or (verifying) until a reconnect may need a read-back."""
        timeout = None if self.verify_s is None else min(self.verify_s, RECONNECT_CHECK_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            self._doing = ("open", None)
            self._kv = await bounded(
                open_bucket(
                    self.nc,
                    self.bucket,
                    create=self.create,
                    description=self.description,
                    js_timeout=self.step_s,
                ),
                2 * self.step_s,
            )
            if self._opened:
                self._log(logging.DEBUG, "bucket %s: opened again", None)
            self._opened = True
        return self._kv

    async def _step(self) -> None:
        """Write every pending key, then read the bucket back when that is due."""
        bucket = await self._bucket()
        while self._dirty:
            key, seq = next(iter(self._dirty.items()))
            value = self._values.get(key)
            self._doing = ("delete" if value is None else "write", key)
            try:
                if value is None:
                    await bounded(bucket.delete(key), self.step_s)
                else:
                    await bounded(bucket.put(key, value), self.step_s)
            except InvalidKeyError:
                self._drop([key], "nats refuses it as a key")
                continue
            self.writes += 1
            self._attempts.pop(key, None)
            if self._dirty.get(key) == seq:  # not put again while in flight
                del self._dirty[key]
        if self._verify_wanted():
            self._doing = ("read back", None)
            await self._verify(bucket)

    async def _verify(self, bucket: KeyValue) -> None:
        reconnects = self.nc.stats["reconnects"]
        found = await snapshot(bucket, self.step_s)
        self.verifies += 1
        self._verify_due = False
        self._reconnects = reconnects
        self._verified_at = time.monotonic()
        differ = [
            key
            for key, value in self._values.items()
            if key not in self._dirty and found.get(key) != value
        ]
        if self.exclusive and self._complete:
            differ += [key for key in found if key not in self._values and key not in self._dirty]
        for key in differ:
            self._mark(key)
        if differ:
            self._log(
                logging.INFO,
                "bucket %s: %d key(s) not as written (%s): writing them again",
                None,
                len(differ),
                ", ".join(sorted(differ)[:10]),
            )

    def _drop(self, keys: list[str], why: str) -> None:
        for key in keys:
            self._dirty.pop(key, None)
            self._attempts.pop(key, None)
            self._values.pop(key, None)  # or a read-back would bring it back for good
            self.dropped += 1
        self._log(
            logging.ERROR,
            "bucket %s: key(s) %s given up, never written: %s",
            keys[0] if len(keys) == 1 else None,
            ", ".join(keys),
            why,
        )

    def _failed(self, error: Exception) -> float:
        """Note a failed step; the delay before the next try."""
        self.failures += 1
        self._failing += 1
        self._kv = None  # open it again: a deleted bucket is created anew
        self._verify_due = True  # and see what it holds once it answers
        delay: float = min(self.retry_s * 2.0 ** (self._failing - 1), self.max_retry_s)
        doing, key = self._doing
        if self.max_attempts is not None:
            for pending in self._dirty:
                self._attempts[pending] = self._attempts.get(pending, 0) + 1
            spent = [k for k in self._dirty if self._attempts[k] >= self.max_attempts]
            if spent:
                self._drop(spent, f"{self.max_attempts} tries failed ({_describe(error)})")
        self._log(
            logging.WARNING if self._failing == 1 else logging.DEBUG,
            "bucket %s: cannot %s%s (%s); %d key(s) pending, retrying in %.1f s",
            key,
            doing,
            "" if key is None else f" key {key}",
            _describe(error),
            len(self._dirty),
            delay,
        )
        return delay

    def _recovered(self) -> None:
        if self._failing:
            self._log(
                logging.INFO,
                "bucket %s: written again after %d failed attempt(s)",
                None,
                self._failing,
            )
            self._failing = 0

    def _log(self, level: int, msg: str, key: str | None, *args: Any) -> None:
        self.log.log(level, msg, self.bucket, *args, extra={"bucket": self.bucket, "key": key})


def _describe(error: BaseException) -> str:
    """``TimeoutError`` or ``BucketNotFoundError: ...``: nats' errors often say
    nothing beyond their type."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
