"""NATS -> ZeroMQ: the tick path of the publisher.

Per tick, in order, cheapest test first:

1. the subject -> a cached :class:`Route` (source, contract, topic frame);
2. is the route's source the selected one for the contract? If not, the message is
   kept undecoded as the source's latest (for a failover, see :meth:`apply_routes`)
   and dropped: ticks of a backup source are never decoded;
3. decode the JSON, check it agrees with its subject (source, exchange, symbol) and
   carries a timezone;
4. the contract's :class:`~tickhub_publisher.arbiter.Lane` forwards it or not;
5. msgpack into a reused buffer and two frames on the PUB socket, never blocking.

Everything runs on the event loop thread; ZeroMQ sockets are not thread-safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import zmq
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import SlowConsumerError

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import GatewayStatus, PoolStatus
from tickhub_runtime.logs import get_logger

from . import encoder
from .arbiter import DUPLICATE, NOT_LIVE, STALE, Arbiter, Lane
from .counters import Counters
from .ratelimit import RateLimitedLog
from .selection import Change, PrioritySelection, Routes

log = get_logger(__name__)

ROUTE_CACHE_LIMIT = 65_536
"""Distinct tick subjects remembered. Real hubs have sources x contracts (thousands);
past this the cache starts over rather than letting foreign subjects grow it."""

HELD_FRESH_S = 5.0
"""How recent a backup source's latest tick must be to be replayed at a failover."""

_SNDMORE_NOBLOCK = zmq.SNDMORE | zmq.NOBLOCK
_NOBLOCK = zmq.NOBLOCK


class Route:
    """What the bridge knows about one tick subject, parsed once."""

    __slots__ = ("exchange", "held", "held_at", "lane", "source", "symbol", "topic", "vt_symbol")

    def __init__(self, source: str, exchange: str, symbol: str) -> None:
        self.source = source
        self.exchange = exchange
        self.symbol = symbol
        self.vt_symbol = f"{symbol}.{exchange}"
        self.topic = encoder.topic(self.vt_symbol)
        self.lane: Lane | None = None
        # The latest message of this source for this contract while it was not the
        # selected one, still undecoded (bytes are the cheapest thing to keep).
        self.held: bytes | None = None
        self.held_at = 0.0


def parse_tick_subject(subject: str) -> Route | None:
    """``tickhub.tick.<source>.<exchange>.<symbol>`` -> Route, None when it is not one."""
    parts = subject.split(".")
    if len(parts) != 5 or parts[0] != subjects.PREFIX or parts[1] != "tick":
        return None
    _, _, source, exchange, symbol = parts
    return Route(source, exchange, symbol)


class Bridge:
    """Forwards the selected ticks from NATS to a bound ZeroMQ PUB socket."""

    def __init__(
        self,
        socket: zmq.Socket[bytes],
        *,
        selection: PrioritySelection | None = None,
        counters: Counters | None = None,
        bad_input_log_interval_s: float = 5.0,
    ) -> None:
        self.socket = socket
        self.selection = selection or PrioritySelection()
        self.counters = counters or Counters()
        self.arbiter = Arbiter()
        self._routes: dict[str, Route] = {}
        self._table: Routes = {}
        self._buffer = bytearray(1024)
        self._send = socket.send
        self._bad = RateLimitedLog(log, bad_input_log_interval_s)
        self._subs: list[Subscription] = []
        self.on_routes: Callable[[Routes], None] | None = None
        """Told every new routing table (the app mirrors it into the routing bucket)."""

    # --- the tick path ---------------------------------------------------------

    def on_tick(self, subject: str, data: bytes) -> None:
        """One message from ``tickhub.tick.>``. Never raises for bad input."""
        counters = self.counters
        counters.received += 1
        route = self._routes.get(subject)
        if route is None:
            route = self._new_route(subject)
            if route is None:
                return
        if self._table.get(route.vt_symbol) != route.source:
            counters.not_selected += 1
            route.held = data
            route.held_at = time.monotonic()
            return
        self._forward(route, data)

    def _forward(self, route: Route, data: bytes) -> bool:
        counters = self.counters
        try:
            tick = codec.tick_json_decoder.decode(data)
        except codec.DecodeError as error:
            counters.malformed += 1
            self._bad.warning(
                "decode",
                "dropped a message on %s that is not a tick: %s",
                route_subject(route),
                error,
                source=route.source,
                symbol=route.vt_symbol,
            )
            return False
        if (
            tick.symbol != route.symbol
            or tick.exchange != route.exchange
            or tick.source != route.source
            or tick.datetime.tzinfo is None
        ):
            counters.malformed += 1
            self._bad.warning(
                "mismatch",
                "dropped a tick on %s that disagrees with its subject or has no timezone: "
                "source=%r symbol=%r exchange=%r datetime=%s",
                route_subject(route),
                tick.source,
                tick.symbol,
                tick.exchange,
                tick.datetime.isoformat(),
                source=route.source,
                symbol=route.vt_symbol,
            )
            return False
        lane = route.lane
        if lane is None:
            lane = route.lane = self.arbiter.lane(route.vt_symbol)
        verdict = lane.offer(tick)
        if verdict > 0:
            buffer = self._buffer
            encoder.encode_into(tick, buffer)
            try:
                # copy=True (the default) copies the small frame into ZeroMQ at once,
                # which is what makes reusing the buffer safe, and is faster than
                # zero-copy for frames this small.
                self._send(route.topic, _SNDMORE_NOBLOCK)
                self._send(buffer, _NOBLOCK)
            except zmq.ZMQError as error:
                counters.zmq_errors += 1
                self._bad.warning("zmq", "ZeroMQ refused a tick: %s", error)
                return False
            counters.forwarded += 1
            return True
        if verdict == DUPLICATE:
            counters.duplicates += 1
        elif verdict == STALE:
            counters.stale += 1
        elif verdict == NOT_LIVE:
            counters.not_live += 1
        return False

    def _new_route(self, subject: str) -> Route | None:
        route = parse_tick_subject(subject)
        if route is None:
            self.counters.malformed += 1
            self._bad.warning("subject", "dropped a message on foreign subject %s", subject)
            return None
        if len(self._routes) >= ROUTE_CACHE_LIMIT:
            log.warning("more than %d tick subjects seen; route cache reset", ROUTE_CACHE_LIMIT)
            self._routes.clear()
        self._routes[subject] = route
        return route

    # --- selection ----------------------------------------------------------------

    def on_status(self, subject: str, data: bytes) -> None:
        """One message from ``tickhub.status.*``. Never raises for bad input."""
        try:
            status = codec.decode(data, GatewayStatus)
        except codec.DecodeError as error:
            self._bad.warning("status", "dropped a message on %s: %s", subject, error)
            return
        if subject != subjects.status(status.source) or status.at.tzinfo is None:
            self._bad.warning(
                "status",
                "dropped a status on %s for source %r (wrong subject or no timezone)",
                subject,
                status.source,
            )
            return
        self.take_status(status)

    def take_status(self, status: GatewayStatus) -> None:
        changes = self.selection.update(status)
        if changes:
            self.apply_routes(self.selection.routes, changes)

    def apply_routes(self, routes: Routes, changes: dict[str, Change]) -> None:
        """Install a new routing table (vt_symbol -> source).

        For each contract that moved to a new source, that source's latest tick is
        offered at once: if the old source died, it may hold a tick the old one never
        delivered (the arbiter drops it otherwise), and clients get the freshest
        state without waiting for the next tick.
        """
        self._table = routes
        if self.on_routes is not None:
            self.on_routes(routes)
        moves: dict[tuple[str | None, str | None], list[str]] = {}
        for vt_symbol, change in sorted(changes.items()):
            moves.setdefault(change, []).append(vt_symbol)
        for (old, new), vt_symbols in moves.items():
            shown = ", ".join(vt_symbols[:5]) + (" ..." if len(vt_symbols) > 5 else "")
            log.info(
                "selected %s for %d contract(s) (was %s): %s",
                new or "nothing",
                len(vt_symbols),
                old or "nothing",
                shown,
                extra={"source": new, "symbol": vt_symbols[0] if len(vt_symbols) == 1 else None},
            )
        now = time.monotonic()
        for vt_symbol, (_, new) in changes.items():
            if new is None:
                continue
            symbol, _, exchange = vt_symbol.rpartition(".")
            route = self._routes.get(subjects.tick(new, exchange, symbol))
            if route is None or route.held is None:
                continue
            held, route.held = route.held, None
            if now - route.held_at <= HELD_FRESH_S and self._forward(route, held):
                self.counters.replayed += 1

    # --- NATS wiring ----------------------------------------------------------------

    async def attach(
        self,
        nc: Client,
        *,
        pending_msgs_limit: int,
        pending_bytes_limit: int,
        pool_timeout_s: float = 2.0,
    ) -> None:
        """Subscribe statuses, ask the manager for the pool, then subscribe ticks.

        The tick subscription takes a callback rather than ``sub.messages``: nats-py
        hands a callback subscription its queued messages in a tight loop, while its
        iterator makes a task per message. Its pending limits bound what nats-py
        holds for us when we fall behind; past them it drops and reports a
        :class:`SlowConsumerError`, which :meth:`on_nats_error` counts.
        """

        async def on_status(msg: Msg) -> None:
            self.on_status(msg.subject, msg.data)

        on_tick = self.on_tick

        async def on_tick_msg(msg: Msg) -> None:
            try:
                on_tick(msg.subject, msg.data)
            except Exception:
                # A bug must cost one tick, not the subscription.
                self._bad.warning("internal", "failed on a tick on %s", msg.subject, exc_info=True)

        self._subs.append(await nc.subscribe(subjects.STATUS_ALL, cb=on_status))
        await self._ask_pool(nc, pool_timeout_s)
        self._subs.append(
            await nc.subscribe(
                subjects.TICK_ALL,
                cb=on_tick_msg,
                pending_msgs_limit=pending_msgs_limit,
                pending_bytes_limit=pending_bytes_limit,
            )
        )

    async def _ask_pool(self, nc: Client, timeout_s: float) -> None:
        """Learn every source's state now instead of at its next periodic status."""
        try:
            reply = await nc.request(subjects.POOL, b"", timeout=timeout_s)
            pool = codec.decode(reply.data, PoolStatus)
        except Exception as error:  # no manager yet, or an odd reply: statuses will come
            log.info("no pool snapshot (%s); waiting for status messages", type(error).__name__)
            return
        for status in pool.gateways:
            if status.at.tzinfo is not None:
                self.take_status(status)

    async def on_nats_error(self, error: Exception) -> None:
        """nats-py's error callback for the publisher's connection."""
        if isinstance(error, SlowConsumerError):
            self.counters.slow_consumer += 1
            self._bad.warning(
                "slow_consumer",
                "falling behind: nats-py dropped a message on %s (pending limits full)",
                error.subject,
            )
        else:
            log.warning("nats error: %r", error)


def route_subject(route: Route) -> str:
    return subjects.tick(route.source, route.exchange, route.symbol)
