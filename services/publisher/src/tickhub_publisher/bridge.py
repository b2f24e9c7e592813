"""NATS -> ZeroMQ: the tick path of the publisher.

Ticks come in batches, one source's ticks of one exchange per message
(:class:`~tickhub_contracts.messages.TickBatch`). Per batch: its subject -> the
cached :class:`TickStream` (source, exchange), and one JSON decode of the whole
batch. Then per tick, in order, cheapest test first:

1. the symbol -> the stream's :class:`SourceFeed` (contract, topic frame, lane);
2. the tick agrees with its subject (source, exchange) and carries a timezone;
3. ``feed.eligible``: may this source's ticks go out for the contract now? If not,
   the tick is kept as the source's latest (offered if the source becomes eligible,
   see :meth:`Bridge.apply_route`) and goes no further;
4. the contract's :class:`~tickhub_publisher.arbiter.Lane` forwards it or says why
   not (not live, out of session, future, stale, duplicate), counted per source.
   Every eligible source feeds the same lane, so the first copy of each tick to
   arrive, from whichever source, goes out and later copies are duplicates;
5. stamped with the publisher's ``epoch`` (its start: a client tells a restart from
   continuity by it), msgpack into a reused buffer, kept as bytes in the contract's
   ring for gap fills (:mod:`.ring`, read by the recovery endpoint, :mod:`.recovery`),
   and two frames on the PUB socket, never blocking;
6. a future's tick (``feed.product``, :mod:`.mains`): one datetime comparison with
   its product's ``due_at`` (the next trading day's start, where the product's main
   contract is decided: rare, and announced on ``#main.<alias>`` first), and, when
   its contract is the product's main, the same two buffers once more under the
   alias's topic (``rb888.SHFE``): one identity test and two sends, no encoding.

The routing (:mod:`.routing`) changes the flags of step 2, per contract, off the
tick path; the tick path itself reads one attribute.

Everything runs on the event loop thread; ZeroMQ sockets are not thread-safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import msgspec
import zmq
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import SlowConsumerError

from tickhub_contracts import codec, subjects, zeromq
from tickhub_contracts.messages import Tick, TickDrops
from tickhub_markets.trading_days import trading_day
from tickhub_runtime.logs import RateLimitedLog, get_logger

from . import routing
from .arbiter import DUPLICATE, FUTURE, NOT_LIVE, OUT_OF_SESSION, STALE, Arbiter, Lane
from .clock import FutureLimit
from .counters import Counters
from .mains import FIRST_LOOK_S, Decide, Mains, Outcome, Product, roll_moment
from .moves import MoveLog
from .ring import Ring, Rings
from .routing import Eligible, InvalidRoute

log = get_logger(__name__)

FEED_LIMIT = 262_144
"""Source x contract feeds remembered. Real hubs have sources x contracts (tens of
thousands with options); past this the cache starts over rather than letting
foreign symbols grow it."""

HELD_FRESH_S = 5.0
"""How recent a source's latest tick must be to be offered when it becomes eligible."""


_main_encoder = msgspec.msgpack.Encoder()
"""A :class:`~tickhub_contracts.messages.MainContract` -> the ``#main.`` payload
(what :func:`tickhub_contracts.zeromq.decode_main_contract` reads)."""

_SNDMORE_NOBLOCK = zmq.SNDMORE | zmq.NOBLOCK
_NOBLOCK = zmq.NOBLOCK


class SourceFeed:
    """One source's ticks of one contract: what the bridge knows about them, made once."""

    __slots__ = (
        "drops",
        "eligible",
        "exchange",
        "held",
        "held_at",
        "lane",
        "product",
        "ring",
        "source",
        "symbol",
        "topic",
        "vt_symbol",
    )

    def __init__(self, source: str, exchange: str, symbol: str) -> None:
        self.source, self.exchange, self.symbol = source, exchange, symbol
        self.vt_symbol = f"{symbol}.{exchange}"
        self.topic = zeromq.topic(self.vt_symbol)
        self.eligible = False
        """Whether this source's ticks may go out for this contract now (the routing)."""
        self.lane: Lane | None = None
        self.ring: Ring | None = None
        """The contract's ring (shared by every source's feed of it, like the lane)."""
        self.product: Product | None = None
        """The product when the contract is a future and aliases are on (:mod:`.mains`)."""
        self.drops = TickDrops()
        """This source's drops (shared by all its feeds: the bridge hands them out)."""
        # The latest tick of this source for this contract while it was not eligible.
        self.held: Tick | None = None
        self.held_at = 0.0


class TickStream:
    """One source's ticks of one exchange, i.e. one ticks subject: its feeds by symbol."""

    __slots__ = ("exchange", "feeds", "source")

    def __init__(self, subject: subjects.TicksSubject) -> None:
        self.source, self.exchange = subject
        self.feeds: dict[str, SourceFeed] = {}


class Bridge:
    """Forwards the first copy of each tick from an eligible source to a PUB socket."""

    def __init__(
        self,
        socket: zmq.Socket[bytes],
        *,
        counters: Counters | None = None,
        bad_input_log_interval_s: float = 5.0,
        future_tick_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        decide: Decide | None = None,
        first_look_s: float = FIRST_LOOK_S,
        epoch: int | None = None,
        rings: Rings | None = None,
    ) -> None:
        self.socket = socket
        self.epoch = epoch if epoch is not None else time.time_ns() // 1_000_000
        """This run's epoch (its start, ms since the Unix epoch), on every tick sent."""
        self.rings = rings if rings is not None else Rings(0, 0)
        """Every contract's newest ticks, for the recovery endpoint (none kept: 0, 0)."""
        self.counters = counters or Counters()
        self.drops: dict[str, TickDrops] = {}
        """Source -> its ticks not sent, by reason (what :class:`PublisherStats` carries)."""
        self.limit = FutureLimit(future_tick_s, clock)
        """Ticks dated past ``limit.not_after`` are from the future."""
        self.arbiter = Arbiter()
        self.mains = Mains(self.arbiter.lane, decide, first_look_s=first_look_s) if decide else None
        """The main contracts and their day books; None: no aliases (``decide`` unset)."""
        self.on_main: Callable[[Outcome], None] | None = None
        """Told of every decision and alias taken over, after its announcement (the
        KV and NATS side, :class:`~.mainstore.MainStore`)."""
        self.table: dict[str, Eligible] = {}
        """vt_symbol -> its eligible sources (what the routing bucket says now)."""
        self._streams: dict[str, TickStream] = {}
        """ticks subject -> its stream."""
        self._n_feeds = 0
        self._by_contract: dict[str, list[SourceFeed]] = {}
        self._buffer = bytearray(1024)
        self._send = socket.send
        self._bad = RateLimitedLog(log, bad_input_log_interval_s)
        self._subs: list[Subscription] = []
        self._moves = MoveLog(self.table)

    # --- the tick path ---------------------------------------------------------

    def on_batch(self, subject: str, data: bytes) -> None:
        """One message from ``tickhub.ticks.>``. Never raises for bad input."""
        counters = self.counters
        stream = self._streams.get(subject)
        if stream is None:
            stream = self._new_stream(subject)
            if stream is None:
                return
        try:
            ticks = codec.tick_batch_decoder.decode(data).ticks
        except codec.DecodeError as error:
            counters.malformed += 1
            self._bad.warning(
                "decode",
                "dropped a message on %s that is not a batch of ticks: %s",
                subject,
                error,
                source=stream.source,
            )
            return
        counters.received += len(ticks)
        feeds = stream.feeds
        now = 0.0
        for tick in ticks:
            feed = feeds.get(tick.symbol)
            if feed is None:
                feed = self._new_feed(stream, tick.symbol)
                if feed is None:
                    continue
            if (
                tick.exchange != stream.exchange
                or tick.source != stream.source
                or tick.datetime.tzinfo is None
            ):
                self._mismatch(subject, feed, tick)
                continue
            if not feed.eligible:
                counters.not_eligible += 1
                feed.held = tick
                feed.held_at = now = now or time.monotonic()
                continue
            self._forward(feed, tick)

    def _mismatch(self, subject: str, feed: SourceFeed, tick: Tick) -> None:
        self.counters.malformed += 1
        self._bad.warning(
            "mismatch",
            "dropped a tick on %s that disagrees with its subject or has no timezone: "
            "source=%r exchange=%r datetime=%s",
            subject,
            tick.source,
            tick.exchange,
            tick.datetime.isoformat(),
            source=feed.source,
            symbol=feed.vt_symbol,
        )

    def _forward(self, feed: SourceFeed, tick: Tick) -> bool:
        counters = self.counters
        lane = feed.lane
        if lane is None:
            lane = feed.lane = self.arbiter.lane(feed.vt_symbol)
        not_after = self.limit.not_after
        if not_after.tzinfo is not tick.datetime.tzinfo:
            not_after = self.limit.in_zone(tick.datetime.tzinfo)
        product = feed.product
        if product is not None and tick.datetime >= product.due_at:
            closing = lane.last  # before offer replaces it: a close of the day ending
            due = True
        else:
            closing = None
            due = False
        verdict = lane.offer(tick, not_after)
        if verdict > 0:
            if due:
                self._due(feed, lane, closing, tick)
            tick.epoch = self.epoch
            buffer = self._buffer
            zeromq.encode_into(tick, buffer)
            ring = feed.ring
            if ring is None:
                ring = feed.ring = self.rings.of(feed.vt_symbol)
            # Before the send: a tick ZeroMQ refuses still has its seq, and a client
            # that sees the hole gets it from here.
            self.rings.add(ring, verdict, buffer)
            send = self._send
            try:
                # copy=True (the default) copies the small frame into ZeroMQ at once,
                # which is what makes reusing the buffer safe, and is faster than
                # zero-copy for frames this small.
                send(feed.topic, _SNDMORE_NOBLOCK)
                send(buffer, _NOBLOCK)
            except zmq.ZMQError as error:
                counters.zmq_errors += 1
                self._bad.warning("zmq", "ZeroMQ refused a tick: %s", error)
                return False
            counters.forwarded += 1
            if product is not None and product.main_lane is lane:
                try:
                    send(product.topic, _SNDMORE_NOBLOCK)
                    send(buffer, _NOBLOCK)
                except zmq.ZMQError as error:
                    counters.zmq_errors += 1
                    self._bad.warning("zmq", "ZeroMQ refused an alias tick: %s", error)
                else:
                    counters.aliased += 1
            return True
        drops = feed.drops
        if verdict == DUPLICATE:
            counters.duplicates += 1
            drops.duplicate += 1
        elif verdict == STALE:
            counters.stale += 1
            drops.stale += 1
        elif verdict == NOT_LIVE:
            counters.not_live += 1
            drops.replay += 1
        elif verdict == OUT_OF_SESSION:
            counters.out_of_session += 1
            drops.out_of_session += 1
        elif verdict == FUTURE:
            counters.future += 1
            drops.future += 1
            self._bad.warning(
                "future",
                "dropped a tick dated %s, more than %.1f s ahead of the clock",
                tick.datetime.isoformat(),
                self.limit.tolerance_s,
                source=feed.source,
                symbol=feed.vt_symbol,
            )
        return False

    def _due(self, feed: SourceFeed, lane: Lane, closing: Tick | None, tick: Tick) -> None:
        """The rare branch: ``feed``'s product may start a trading day (a decision) or
        take its alias over from the bucket. The announcement goes out before the
        alias's first tick; a failure here costs the alias, never the tick."""
        product = feed.product
        assert product is not None and self.mains is not None
        try:
            outcome = self.mains.on_due(product, lane, closing, tick)
        except Exception:
            # Looked at again the next trading day, not at every tick until then.
            product.due_at = roll_moment(trading_day(tick.datetime), tick.datetime.tzinfo)
            self._bad.warning(
                "mains",
                "main contract of %s not decided; its alias stays as it was until the "
                "next trading day",
                product.key,
                exc_info=True,
                symbol=product.alias,
            )
            return
        if outcome is None:
            return
        try:
            self._send(product.announce_topic, _SNDMORE_NOBLOCK)
            self._send(_main_encoder.encode(outcome.main), _NOBLOCK)
        except zmq.ZMQError as error:
            self.counters.zmq_errors += 1
            self._bad.warning("zmq", "ZeroMQ refused an announcement: %s", error)
        else:
            self.counters.announced += 1
        if self.on_main is not None:
            try:
                self.on_main(outcome)
            except Exception:
                self._bad.warning("internal", "failed on a main contract", exc_info=True)

    def _new_stream(self, subject: str) -> TickStream | None:
        parsed = subjects.parse_ticks(subject)
        if parsed is None:
            self.counters.malformed += 1
            self._bad.warning("subject", "dropped a message on foreign subject %s", subject)
            return None
        stream = self._streams[subject] = TickStream(parsed)
        return stream

    def _new_feed(self, stream: TickStream, symbol: str) -> SourceFeed | None:
        try:
            subjects.token(symbol, "symbol")
        except subjects.InvalidToken as error:
            self.counters.malformed += 1
            self._bad.warning("symbol", "dropped a tick: %s", error, source=stream.source)
            return None
        if self._n_feeds >= FEED_LIMIT:
            log.warning("more than %d source feeds seen; feed cache reset", FEED_LIMIT)
            for known in self._streams.values():
                known.feeds.clear()
            self._by_contract.clear()
            self._n_feeds = 0
        feed = SourceFeed(stream.source, stream.exchange, symbol)
        drops = self.drops.get(feed.source)
        if drops is None:
            drops = self.drops[feed.source] = TickDrops()
        feed.drops = drops
        if self.mains is not None:
            feed.product = product = self.mains.product_of(feed.exchange, symbol)
            if product is not None:
                feed.lane = product.months[feed.vt_symbol]
        eligible = self.table.get(feed.vt_symbol)
        feed.eligible = eligible is not None and feed.source in eligible.sources
        stream.feeds[symbol] = feed
        self._n_feeds += 1
        self._by_contract.setdefault(feed.vt_symbol, []).append(feed)
        return feed

    # --- routing ------------------------------------------------------------------

    def on_route_entry(self, key: str, raw: bytes | None) -> None:
        """One changed key of the routing bucket (``raw`` None: deleted).

        An entry that cannot be read routes nothing for its contract, rather than
        leaving an older route in force.
        """
        try:
            vt_symbol = routing.vt_symbol_of_key(key)
        except InvalidRoute as error:
            self._bad.warning("route", "routing key %r ignored: %s", key, error)
            return
        eligible = None
        if raw is not None:
            try:
                eligible = routing.parse_value(vt_symbol, raw)
            except InvalidRoute as error:
                self._bad.warning(
                    "route", "routing entry %s ignored, nothing routed by it: %s", key, error
                )
        self.apply_route(vt_symbol, eligible)

    def apply_route(self, vt_symbol: str, eligible: Eligible | None) -> None:
        """Make ``eligible`` the sources whose ticks go out for ``vt_symbol`` (None: none).

        Sources that become eligible have their latest held tick offered at once, if
        recent: in a cold-mode switch the new source may hold a tick the failed one
        never delivered, and clients get the freshest state without waiting for the
        next tick. The lane drops it when it is not newer than what went out, so a
        source back from an outage re-publishes nothing stale.
        """
        old = self.table.get(vt_symbol)
        if eligible is None:
            if old is None:
                return
            del self.table[vt_symbol]
        else:
            if old == eligible:
                return
            self.table[vt_symbol] = eligible
        sources = eligible.sources if eligible is not None else frozenset()
        self._moves.note(vt_symbol, old, eligible)
        now = time.monotonic()
        for feed in self._by_contract.get(vt_symbol, ()):
            was = feed.eligible
            feed.eligible = feed.source in sources
            if was or not feed.eligible or feed.held is None:
                continue
            held, feed.held = feed.held, None
            if now - feed.held_at <= HELD_FRESH_S and self._forward(feed, held):
                self.counters.replayed += 1

    # --- NATS wiring ----------------------------------------------------------------

    async def attach(
        self,
        nc: Client,
        *,
        pending_msgs_limit: int,
        pending_bytes_limit: int,
        exchanges: Sequence[str] = (),
    ) -> None:
        """Subscribe every source's ticks: of every exchange, or of ``exchanges`` only
        (one shard of a publisher split by exchange).

        The subscription takes a callback rather than ``sub.messages``: nats-py hands
        a callback subscription its queued messages in a tight loop, while its
        iterator makes a task per message. Its pending limits bound what nats-py
        holds for us when we fall behind; past them it drops and reports a
        :class:`SlowConsumerError`, which :meth:`on_nats_error` counts.
        """
        on_batch = self.on_batch

        async def on_batch_msg(msg: Msg) -> None:
            try:
                on_batch(msg.subject, msg.data)
            except Exception:
                # A bug must cost one batch, not the subscription.
                self._bad.warning("internal", "failed on a batch on %s", msg.subject, exc_info=True)

        for subject in [subjects.ticks_of_exchange(e) for e in exchanges] or [subjects.TICKS_ALL]:
            self._subs.append(
                await nc.subscribe(
                    subject,
                    cb=on_batch_msg,
                    pending_msgs_limit=pending_msgs_limit,
                    pending_bytes_limit=pending_bytes_limit,
                )
            )

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
