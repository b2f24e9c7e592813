"""The recovery endpoint: snapshots and gap fills beside the PUB socket.

A ROUTER socket at ``TICKHUB_ZMQ_RECOVERY`` answers the requests of
:mod:`tickhub_contracts.recovery` (docs/clients.md):

- ``snapshot``: the latest tick of every matching topic (contracts and main-contract
  aliases), marked ``live=False``, from the arbiter's lanes;
- ``since``: a contract's ticks after a seq, as they went out, from its ring
  (:mod:`.ring`);
- ``hello``: the epoch and the limits.

It shares the event loop with the tick path, so it is bounded everywhere:

1. ZeroMQ queues at most ``RCVHWM`` requests (then TCP pushes back on the clients)
   and refuses a request bigger than ``MAXMSGSIZE``; replies to a client that does
   not read are dropped at its ``SNDHWM``, never queued without end;
2. one request at a time, and at most ``recovery_share`` of the event loop's time:
   after a reply that took t, the server rests ``t * (1 - share) / share`` before the
   next one (more requests wait in ZeroMQ's queue), so a flood slows the answers,
   never the ticks;
3. at most ``recovery_max_ticks`` ticks per reply (the client asks again for more),
   and a contract's snapshot is encoded once per tick of it, however many clients
   ask.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Iterator

import msgspec
import zmq
import zmq.asyncio

from tickhub_contracts import recovery, zeromq
from tickhub_contracts.messages import Tick
from tickhub_contracts.recovery import RecoveryReply, RecoveryRequest
from tickhub_runtime.logs import RateLimitedLog, get_logger

from .arbiter import Arbiter
from .mains import Mains, Product
from .ring import Rings, TooOld
from .zmqpub import BindError

log = get_logger(__name__)

RCVHWM = 1000
"""Requests ZeroMQ queues for the server (all clients together, per connection)."""
SNDHWM = 1000
"""Reply messages ZeroMQ queues per client before dropping the next."""
MAXMSGSIZE = 1 << 20
"""A request frame bigger than this closes its connection (a since of 1,000
contracts is ~30 KB)."""


class Book:
    """What the snapshot reads: every topic that has sent a tick, sorted, and its
    latest tick (a contract's lane, or an alias's main contract's lane)."""

    def __init__(self, arbiter: Arbiter, mains: Mains | None) -> None:
        self.arbiter = arbiter
        self.mains = mains
        self._topics: list[str] = []
        self._aliases: dict[str, Product] = {}
        self._sizes = (-1, -1)

    def _refresh(self) -> None:
        """New lanes or products since the last request: sort the topics again (rare:
        a contract's first tick)."""
        products = self.mains.products if self.mains is not None else {}
        sizes = (len(self.arbiter), len(products))
        if sizes == self._sizes:
            return
        self._sizes = sizes
        self._aliases = {product.alias: product for product in products.values()}
        self._topics = sorted([*self.arbiter.names(), *self._aliases])

    def latest(self, topic: str) -> Tick | None:
        product = self._aliases.get(topic)
        if product is not None:
            return product.main_lane.last if product.main_lane is not None else None
        lane = self.arbiter.get(topic)
        return lane.last if lane is not None else None

    def matching(self, request: RecoveryRequest) -> Iterator[str]:
        """The topics a snapshot request names, in order, after ``start_after``."""
        self._refresh()
        topics = self._topics
        wanted = set(request.topics)
        for prefix in request.prefixes:
            at = bisect.bisect_left(topics, prefix)
            while at < len(topics) and topics[at].startswith(prefix):
                wanted.add(topics[at])
                at += 1
        for topic in sorted(wanted):
            if topic > request.start_after:
                yield topic


class Answers:
    """The replies, pure: a request in, the frames of its reply out (no sockets)."""

    def __init__(self, book: Book, rings: Rings, epoch: int, max_ticks: int, ring: int) -> None:
        self.book = book
        self.rings = rings
        self.epoch = epoch
        self.max_ticks = max_ticks
        self.ring = ring
        self._snapshots: dict[str, tuple[Tick, bytes]] = {}
        """topic -> the tick last snapshotted and its payload: encoded again only once
        the topic's latest tick is another."""

    def answer(self, frame: bytes) -> list[bytes]:
        try:
            request = recovery.decode_request(frame)
        except msgspec.DecodeError as error:  # ValidationError is one too
            return [self.refuse(0, "bad_request", f"not a recovery request: {error}")]
        if request.op == "hello":
            reply = RecoveryReply(
                id=request.id,
                ok=True,
                epoch=self.epoch,
                ring=self.ring,
                max_ticks=self.max_ticks,
            )
            return [recovery.encode(reply)]
        if request.op == "snapshot":
            return self._snapshot(request)
        return self._since(request)

    def refuse(self, id: int, code: recovery.Code, error: str) -> bytes:
        return recovery.encode(
            RecoveryReply(id=id, ok=False, epoch=self.epoch, code=code, error=error)
        )

    def _snapshot(self, request: RecoveryRequest) -> list[bytes]:
        frames: list[bytes] = []
        more = ""
        count = 0
        for topic in self.book.matching(request):
            tick = self.book.latest(topic)
            if tick is None:
                continue
            if count == self.max_ticks:
                more = frames[-2].decode()
                break
            frames += (zeromq.topic(topic), self._snapshot_of(topic, tick))
            count += 1
        header = RecoveryReply(id=request.id, ok=True, epoch=self.epoch, count=count, more=more)
        return [recovery.encode(header), *frames]

    def _snapshot_of(self, topic: str, tick: Tick) -> bytes:
        cached = self._snapshots.get(topic)
        if cached is not None and cached[0] is tick:
            return cached[1]
        payload = zeromq.encode(msgspec.structs.replace(tick, live=False))
        self._snapshots[topic] = (tick, payload)
        return payload

    def _since(self, request: RecoveryRequest) -> list[bytes]:
        if request.epoch != self.epoch:
            return [
                self.refuse(
                    request.id,
                    "epoch",
                    f"epoch {request.epoch} is not this publisher's ({self.epoch}): it "
                    "restarted; take a snapshot",
                )
            ]
        if len(request.after) > self.max_ticks:
            return [
                self.refuse(
                    request.id,
                    "bad_request",
                    f"{len(request.after)} contracts in one since; at most {self.max_ticks}",
                )
            ]
        frames: list[bytes] = []
        too_old: list[str] = []
        room = self.max_ticks
        done = 0
        for vt_symbol, seq in request.after:
            try:
                found, whole = self.rings.since(vt_symbol, seq, room)
            except TooOld:
                too_old.append(vt_symbol)
                done += 1
                continue
            topic = zeromq.topic(vt_symbol)
            for _, payload in found:
                frames += (topic, payload)
            room -= len(found)
            if not whole:
                break
            done += 1
            if room == 0:
                break
        header = RecoveryReply(
            id=request.id,
            ok=True,
            epoch=self.epoch,
            count=len(frames) // 2,
            done=done,
            too_old=too_old,
        )
        return [recovery.encode(header), *frames]


def rest_after(cost_s: float, share: float) -> float:
    """How long to rest after work of ``cost_s`` to use at most ``share`` of the time."""
    return cost_s * (1.0 - share) / share


class RecoveryServer:
    """The ROUTER socket and the task that serves it."""

    def __init__(
        self,
        context: zmq.Context[zmq.Socket[bytes]],
        endpoint: str,
        answers: Answers,
        share: float,
    ) -> None:
        self.context = zmq.asyncio.Context.shadow(context.underlying)
        self.endpoint = endpoint
        self.answers = answers
        self.share = share
        self.socket: zmq.asyncio.Socket | None = None
        self.served = 0
        self._task: asyncio.Task[None] | None = None
        self._bad = RateLimitedLog(log, 5.0)

    def start(self) -> str:
        """Bind and serve; the bound endpoint. Raises :class:`BindError`."""
        socket = self.context.socket(zmq.ROUTER)
        socket.setsockopt(zmq.RCVHWM, RCVHWM)
        socket.setsockopt(zmq.SNDHWM, SNDHWM)
        socket.setsockopt(zmq.MAXMSGSIZE, MAXMSGSIZE)
        socket.setsockopt(zmq.LINGER, 0)
        if "[" in self.endpoint:
            socket.setsockopt(zmq.IPV6, 1)
        try:
            socket.bind(self.endpoint)
        except zmq.ZMQError as error:
            socket.close(0)
            raise BindError(
                f"cannot bind the ZeroMQ recovery socket to {self.endpoint} "
                f"(TICKHUB_ZMQ_RECOVERY): {error.strerror}"
            ) from None
        self.socket = socket
        self._task = asyncio.create_task(self._serve(), name="publisher-recovery")
        bound = socket.getsockopt(zmq.LAST_ENDPOINT)
        assert isinstance(bound, bytes)
        return bound.decode()

    async def _serve(self) -> None:
        socket = self.socket
        assert socket is not None
        while True:
            frames = await socket.recv_multipart()
            started = time.perf_counter()
            try:
                reply = self._reply(frames)
            except Exception:
                self._bad.warning("internal", "failed on a recovery request", exc_info=True)
                reply = None
            if reply is not None:
                try:
                    # ROUTER never blocks: a client past its SNDHWM loses this reply.
                    await socket.send_multipart(reply, zmq.NOBLOCK)
                except zmq.ZMQError as error:
                    self._bad.warning("send", "recovery reply not sent: %s", error)
                self.served += 1
            # The tick path's turn, for longer the more this request cost.
            await asyncio.sleep(rest_after(time.perf_counter() - started, self.share))

    def _reply(self, frames: list[bytes]) -> list[bytes] | None:
        """``[identity, b"", request]`` (REQ, or DEALER sending an empty frame first)."""
        if len(frames) < 2:
            return None
        identity, rest = frames[0], frames[1:]
        if len(rest) != 2 or rest[0] != b"":
            self._bad.warning(
                "framing",
                "a recovery request of %d frames (an empty frame, then the request, "
                "is expected: REQ sends so; a DEALER must too)",
                len(rest),
            )
            header = self.answers.refuse(
                0, "bad_request", "send an empty frame, then the request (as REQ does)"
            )
            return [identity, b"", header]
        return [identity, b"", *self.answers.answer(rest[1])]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.socket is not None:
            self.socket.close(0)
            self.socket = None
