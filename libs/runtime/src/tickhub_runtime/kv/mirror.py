"""A bucket's content in memory, followed live and read again after any doubt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError

from .bucket import JS_TIMEOUT_S, KV_DELETES, bounded, initial, open_bucket

_log = logging.getLogger("tickhub.kv")

T = TypeVar("T")


class Mirror(Generic[T]):
    """A bucket's current content, kept in memory and followed live.

    nats-py's KV watcher resumes after a reconnect on its own, but nothing proves it
    saw every change made while the server was away (a restarted server may even
    hold a different history). So the mirror does not trust it: after every
    reconnect, and after any error, it reads the whole bucket again and reports the
    differences as ordinary changes. A reader therefore sees the bucket converge,
    never a stale view for longer than one reconnect.

    ``on_change(key, value)`` runs on the event loop for every key whose value
    changed (``None``: deleted). A value that fails ``decode`` is logged and read as
    a deletion (the key's earlier value no longer holds).
    """

    def __init__(
        self,
        nc: Client,
        bucket: str,
        decode: Callable[[bytes], T],
        *,
        on_change: Callable[[str, T | None], None] | None = None,
        create: bool = False,
        description: str = "",
        retry_s: float = 0.5,
        check_s: float = 1.0,
    ) -> None:
        self.nc = nc
        self.bucket = bucket
        self.decode = decode
        self.on_change = on_change
        self.create = create
        self.description = description
        self.retry_s = retry_s
        self.check_s = check_s
        self.values: dict[str, T] = {}
        self.ready = asyncio.Event()
        """Set once the first full read is done (the mirror is then the bucket)."""
        self.resyncs = 0
        """Full reads after the first (tests and logs)."""
        self._raw: dict[str, bytes] = {}
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"kv-mirror-{self.bucket}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # nats-py can swallow a cancellation inside a request: never wait for good.
            await asyncio.wait({task}, timeout=JS_TIMEOUT_S)

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure means: read it all again
                if not self._failing:
                    self._failing = True
                    _log.warning(
                        "bucket %s not readable (%s); retrying", self.bucket, type(error).__name__
                    )
                await asyncio.sleep(self.retry_s)

    async def _follow(self) -> None:
        reconnects = self.nc.stats["reconnects"]
        bucket = await open_bucket(
            self.nc, self.bucket, create=self.create, description=self.description
        )
        watcher = await bounded(bucket.watchall(), JS_TIMEOUT_S)
        try:
            self._replace(await initial(watcher, JS_TIMEOUT_S))
            if self._failing:
                self._failing = False
                _log.info("bucket %s readable again", self.bucket)
            if self.ready.is_set():
                self.resyncs += 1
            self.ready.set()
            while True:
                try:
                    entry = await watcher.updates(timeout=self.check_s)  # type: ignore[no-untyped-call]
                except NatsTimeoutError:
                    entry = None
                if self.nc.stats["reconnects"] != reconnects:
                    return  # read everything again rather than trust the watcher
                if entry is None:
                    continue
                if entry.operation in KV_DELETES:
                    self._set(entry.key, None)
                else:
                    self._set(entry.key, entry.value or b"")
        finally:
            with contextlib.suppress(Exception):
                await bounded(watcher.stop(), JS_TIMEOUT_S)  # type: ignore[no-untyped-call]

    def _replace(self, fresh: dict[str, bytes]) -> None:
        for key in sorted(self._raw.keys() - fresh.keys()):
            self._set(key, None)
        for key, raw in sorted(fresh.items()):
            self._set(key, raw)

    def _set(self, key: str, raw: bytes | None) -> None:
        if raw is None:
            if self._raw.pop(key, None) is None:
                return
            self.values.pop(key, None)
            if self.on_change is not None:
                self.on_change(key, None)
            return
        if self._raw.get(key) == raw:
            return
        self._raw[key] = raw
        try:
            value = self.decode(raw)
        except Exception as error:  # a foreign value must not stop the mirror
            _log.warning("bucket %s: skipped key %s: %s", self.bucket, key, error)
            # Its old value no longer holds: tell the reader the key is gone rather
            # than leave a stale value in force.
            if self.values.pop(key, None) is not None and self.on_change is not None:
                self.on_change(key, None)
            return
        self.values[key] = value
        if self.on_change is not None:
            self.on_change(key, value)
