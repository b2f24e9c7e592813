"""Typed subscriptions: each message decoded into its contract type before a handler
sees it, and nothing a message or a handler does ever reaches nats-py.

Every service used to write the same block per subject: decode with
:mod:`tickhub_contracts.codec`, warn (or not) when that fails, hand the message on.
The blocks drifted apart: some warned on every bad message (a flood of garbage then
floods the log, which itself goes out on NATS), some only on the first, some never.
And an exception escaping a callback goes to nats-py's error callback, which the
services log as a bare "nats error" line without the subject or a traceback.

:func:`subscribe` does it once and the same way everywhere:

* ``handler(subject, message)`` gets the decoded message (a plain function or a
  coroutine function);
* a message that does not decode is counted and logged at WARNING, bounded: the
  first at once, then at most one line per ``warn_every_s``, each naming the subject
  and the error and saying how many like it were held back
  (:class:`~tickhub_runtime.logs.RateLimitedLog`);
* a handler that raises is counted and logged the same way, with its traceback; the
  subscription carries on with the next message;
* the counts (:class:`Counts`) stay readable on the returned :class:`Listener`.

:func:`serve` is the request/reply form: the handler returns the reply, and a
request that does not decode, or whose handler fails, is answered with
``refuse(reason)`` rather than left to time out.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import (
    DEFAULT_SUB_PENDING_BYTES_LIMIT,
    DEFAULT_SUB_PENDING_MSGS_LIMIT,
    Subscription,
)

from tickhub_contracts import codec

from .logs import RateLimitedLog

M = TypeVar("M")

Handler = Callable[[str, M], Awaitable[None] | None]
"""``handler(subject, message)``: a plain function or a coroutine function."""

Responder = Callable[[str, M], Awaitable[msgspec.Struct]]
"""``responder(subject, request)`` -> the reply to send back."""

Log = logging.Logger | logging.LoggerAdapter[logging.Logger]

WARN_EVERY_S = 10.0
"""Default bound on the warning lines of one subscription: one per kind per this."""

CLOSE_STEP_S = 1.0
"""Default bound on each step of :meth:`Listener.close`: the server may hang."""

_default_log = logging.getLogger("tickhub.listen")


@dataclass(slots=True)
class Counts:
    """What one subscription saw since it started. Plain ints (tests, stats lines)."""

    received: int = 0
    """Messages taken from the subscription."""
    handled: int = 0
    """Decoded and handled without an exception."""
    undecodable: int = 0
    """Not JSON, or not of the subscription's type: dropped (or refused)."""
    failed: int = 0
    """Decoded, but the handler raised: logged with its traceback."""

    def snapshot(self) -> dict[str, int]:
        return asdict(self)


class Listener(Generic[M]):
    """One typed subscription: made by :func:`subscribe` or :func:`serve`.

    Its ``cb`` is what nats-py calls; it never raises. With ``concurrent`` each message
    is handled in a task of its own (nats-py runs a subscription's callbacks one at a
    time, and a slow request must not hold up the next); the tasks are kept until
    they end, and :meth:`close` waits for them, bounded.
    """

    def __init__(
        self,
        subject: str,
        type_: type[M],
        deliver: Callable[[Msg, M], Awaitable[None]],
        *,
        what: str,
        log: Log,
        warn_every_s: float,
        concurrent: bool,
        reject: Callable[[Msg, str], Awaitable[None]] | None = None,
    ) -> None:
        self.subject = subject
        self.message_type = type_
        self.what = what
        self.concurrent = concurrent
        self.counts = Counts()
        self.warnings = RateLimitedLog(log, warn_every_s)
        """The bounded warning lines (tests may set its ``clock``)."""
        self.sub: Subscription | None = None
        """nats-py's subscription (its pending counts, for stats)."""
        self._deliver = deliver
        self._reject = reject
        self._tasks: set[asyncio.Task[None]] = set()

    async def cb(self, msg: Msg) -> None:
        """nats-py's callback: decode, then hand over (or start a task that does)."""
        self.counts.received += 1
        try:
            message = codec.decode(msg.data, self.message_type)
        except codec.DecodeError as error:
            self.counts.undecodable += 1
            self.warnings.warning(
                "undecodable",
                "dropped a %s on %s that does not decode: %s",
                self.what,
                msg.subject,
                error,
            )
            if self._reject is not None:
                await self._answer_bad(msg, f"bad {self.what}: {error}")
            return
        except Exception as error:  # a decode hook's bug: still never into nats-py
            await self._failed(msg, error)
            return
        if self.concurrent:
            task = asyncio.create_task(self._handle(msg, message), name=f"on-{msg.subject}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            await self._handle(msg, message)

    async def _handle(self, msg: Msg, message: M) -> None:
        try:
            await self._deliver(msg, message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._failed(msg, error)
            return
        self.counts.handled += 1

    async def _failed(self, msg: Msg, error: Exception) -> None:
        self.counts.failed += 1
        self.warnings.warning(
            "failed",
            "handling a %s from %s failed: %r",
            self.what,
            msg.subject,
            error,
            exc_info=error,
        )
        if self._reject is not None:
            await self._answer_bad(msg, f"{self.what} failed: {type(error).__name__}: {error}")

    async def _answer_bad(self, msg: Msg, reason: str) -> None:
        if self._reject is None:
            return
        try:
            await self._reject(msg, reason)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a refuse() that fails: the requester times out
            self.warnings.warning(
                "refuse", "could not refuse a %s on %s: %r", self.what, msg.subject, error
            )

    @property
    def in_flight(self) -> int:
        """Messages being handled right now in tasks of their own (``concurrent``)."""
        return len(self._tasks)

    async def close(self, step_s: float = CLOSE_STEP_S) -> None:
        """Stop listening; let handlers under way finish (each wait bounded by
        ``step_s``, then they are cancelled); report warning lines still held back.
        Never raises: shutting down must go on when the server has gone."""
        sub, self.sub = self.sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), step_s)
        if self._tasks:
            tasks = set(self._tasks)
            _, late = await asyncio.wait(tasks, timeout=step_s)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=step_s)
        self.warnings.report_held(f"{self.what} on {self.subject}")


async def subscribe(
    nc: Client,
    subject: str,
    type_: type[M],
    handler: Handler[M],
    *,
    what: str | None = None,
    queue: str = "",
    log: Log | None = None,
    warn_every_s: float = WARN_EVERY_S,
    concurrent: bool = False,
    pending_msgs_limit: int = DEFAULT_SUB_PENDING_MSGS_LIMIT,
    pending_bytes_limit: int = DEFAULT_SUB_PENDING_BYTES_LIMIT,
) -> Listener[M]:
    """Subscribe to ``subject``; ``handler(subject, message)`` gets each message
    decoded into ``type_``.

    ``what`` names the messages in log lines ("health verdict"; default: the type's
    name); ``log`` is the service's logger (default ``tickhub.listen``). Bad input
    and handler failures are counted (``Listener.counts``) and logged bounded; none
    reaches nats-py. ``queue``, ``pending_msgs_limit`` and ``pending_bytes_limit`` go
    to nats-py's ``subscribe``. Close with :meth:`Listener.close`.
    """

    async def deliver(msg: Msg, message: M) -> None:
        result = handler(msg.subject, message)
        if inspect.isawaitable(result):
            await result

    listener = Listener(
        subject,
        type_,
        deliver,
        what=what or type_.__name__,
        log=log or _default_log,
        warn_every_s=warn_every_s,
        concurrent=concurrent,
    )
    listener.sub = await nc.subscribe(
        subject,
        queue=queue,
        cb=listener.cb,
        pending_msgs_limit=pending_msgs_limit,
        pending_bytes_limit=pending_bytes_limit,
    )
    return listener


async def serve(
    nc: Client,
    subject: str,
    type_: type[M],
    responder: Responder[M],
    *,
    refuse: Callable[[str], msgspec.Struct],
    what: str | None = None,
    queue: str = "",
    log: Log | None = None,
    warn_every_s: float = WARN_EVERY_S,
    concurrent: bool = True,
) -> Listener[M]:
    """Answer requests on ``subject``: ``responder(subject, request)`` returns the
    reply, which goes back encoded with :mod:`tickhub_contracts.codec`.

    A request that does not decode, or whose responder raises, is answered with
    ``refuse(reason)`` (e.g. ``lambda reason: Reply(ok=False, error=reason)``), so
    the caller hears why at once instead of waiting out its timeout; both are counted
    and logged bounded as in :func:`subscribe`. A message without a reply subject is
    handled and its reply dropped. ``concurrent`` (the default): each request in a
    task of its own, so a slow one (a restart takes seconds) never holds up the next.
    """

    async def respond(msg: Msg, payload: bytes) -> None:
        if msg.reply:
            # Best effort: with the bus away the requester times out, as it would anyway.
            with contextlib.suppress(Exception):
                await msg.respond(payload)

    async def deliver(msg: Msg, request: M) -> None:
        reply = await responder(msg.subject, request)
        await respond(msg, codec.encode(reply))

    async def reject(msg: Msg, reason: str) -> None:
        await respond(msg, codec.encode(refuse(reason)))

    listener = Listener(
        subject,
        type_,
        deliver,
        what=what or type_.__name__,
        log=log or _default_log,
        warn_every_s=warn_every_s,
        concurrent=concurrent,
        reject=reject,
    )
    listener.sub = await nc.subscribe(subject, queue=queue, cb=listener.cb)
    return listener


def total(listeners: list[Listener[Any]]) -> Counts:
    """The counts of several listeners added up (a service's stats line)."""
    summed = Counts()
    for listener in listeners:
        for name, value in listener.counts.snapshot().items():
            setattr(summed, name, getattr(summed, name) + value)
    return summed
