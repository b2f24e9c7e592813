"""Opening a bucket and reading it whole, each wait bounded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

KV_DELETES = ("DEL", "PURGE")
"""A watched entry's ``operation`` when the key was deleted or purged."""

JS_TIMEOUT_S = 2.0
"""Bound on each JetStream API call: a KV read must not hold up a command for long."""


async def open_bucket(
    nc: Client,
    name: str,
    *,
    create: bool,
    description: str = "",
    js_timeout: float = JS_TIMEOUT_S,
) -> KeyValue:
    """The bucket ``name``; created (file storage, history 1) when ``create`` and it
    does not exist. Raises :class:`BucketNotFoundError` when it does not and
    ``create`` is false, and nats' errors (TimeoutError, ServiceUnavailableError:
    JetStream off) when JetStream cannot be reached."""
    js = nc.jetstream(timeout=js_timeout)
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        if not create:
            raise
    return await js.create_key_value(bucket=name, history=1, description=description)


T = TypeVar("T")


async def bounded(step: Awaitable[T], timeout_s: float) -> T:
    """``await step``, at most ``timeout_s``: then TimeoutError.

    Unlike ``asyncio.wait_for``, which after its timeout waits for the cancelled call
    to finish, this leaves the call behind once cancelled: nats-py can swallow a
    cancellation inside a request (a frozen server), and a bound that waits for it is
    no bound.
    """
    task = asyncio.ensure_future(step)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        # Whatever it ends with later is no one's business: do not log it as lost.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        raise TimeoutError(f"no answer within {timeout_s} s")
    return task.result()


async def snapshot(bucket: KeyValue, step_s: float = JS_TIMEOUT_S) -> dict[str, bytes]:
    """Every key of ``bucket`` with its value, each wait bounded by ``step_s``.

    nats-py's ``KeyValue.keys()`` iterates a watcher without a timeout: a lost
    end-of-snapshot marker (a cancellation swallowed inside the client, a server
    going away) would hang its caller for good. Raises TimeoutError instead.
    """
    watcher = await bounded(bucket.watchall(), step_s)
    try:
        return await initial(watcher, step_s)
    finally:
        with contextlib.suppress(Exception):
            await bounded(watcher.stop(), step_s)  # type: ignore[no-untyped-call]


async def initial(watcher: Any, step_s: float) -> dict[str, bytes]:
    """What a new watcher delivers before its end-of-snapshot marker: every key with
    its value. Raises TimeoutError when a step waits longer than ``step_s``."""
    found: dict[str, bytes] = {}
    while True:
        try:
            entry = await watcher.updates(timeout=step_s)
        except NatsTimeoutError:
            raise TimeoutError(f"the bucket's snapshot stalled for {step_s} s") from None
        if entry is None:  # the end of what the bucket held
            return found
        if entry.operation in KV_DELETES:
            found.pop(entry.key, None)
        else:
            found[entry.key] = entry.value or b""
