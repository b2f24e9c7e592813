"""``WorkerHost``: one source's vnpy EventEngine and gateway, relayed onto NATS.

Threads: vnpy calls back on its EventEngine thread, and with ticks on the gateway's
own thread (they skip the EventEngine queue).
The only ways from there into asyncio are ``loop.call_soon_threadsafe`` and the
tick queue below; nothing here touches the loop or the NATS client from a vnpy
thread.

The tick path is batched twice over: the gateway-thread handler converts the tick,
appends it to a deque and wakes the loop only if it is not already awake, so a burst
costs one self-pipe write, not one per tick; and the pump task on the loop sends
what it finds queued as one :class:`TickBatch` per exchange (up to
:data:`TICK_BATCH_MAX` ticks), so a burst costs NATS a handful of messages, not one
per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections import deque
from datetime import UTC, datetime

from nats.aio.client import Client
from vnpy.event import Event, EventEngine
from vnpy.trader.constant import Exchange
from vnpy.trader.event import EVENT_LOG
from vnpy.trader.object import LogData, SubscribeRequest, TickData

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import (
    INSTRUMENT_BATCH_MAX,
    Connection,
    FaultKind,
    Heartbeat,
    InstrumentBatch,
    Reply,
    SourceConfig,
    Tick,
    TickBatch,
    WorkerCommand,
    contracts_digest,
)
from tickhub_runtime import listen
from tickhub_runtime.logs import few, get_logger
from tickhub_runtime.settings import Settings

from ..protocol import CRASH_EXIT_CODE
from ..sources import create_gateway
from ..sources.base import EVENT_CONNECTION, FaultNotSupported, InstrumentAnswer
from .batching import Batch, Message, outgoing, payloads
from .convert import tick_message

PUMP_YIELD = 2_000
"""Queued items taken before the pump yields, so heartbeats and NATS's own flusher
get the loop even when ticks arrive faster than they can be sent."""

NATS_STEP_TIMEOUT_S = 1.0
"""Each NATS call of the shutdown (unsubscribe, last publish, drain) gets this long."""

CLOSE_TIMEOUT_S = 2.0
"""How long shutdown waits for the gateway to close (CTP's release can hang)."""


class WorkerHost:
    def __init__(
        self,
        config: SourceConfig,
        settings: Settings,
        nc: Client,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.config = config
        self.settings = settings
        self.nc = nc
        self.loop = loop
        self.source = config.name
        self.log = get_logger("tickhub.gateway.worker", source=config.name)
        self.event_engine = EventEngine()
        # The built-in calendar and the manager's TICKHUB_HOLIDAYS (no file here).
        self.gateway = create_gateway(self.event_engine, config, holidays=settings.all_holidays())

        self._queue: deque[Tick | Message] = deque()
        self._woken = False
        self._wake = asyncio.Event()
        self._canary_subject = subjects.canary(self.source)
        self._subscribed: frozenset[str] = frozenset()
        self._subscribed_digest = contracts_digest(())
        self._stale_ns = int(settings.stale_tick_s * 1e9)

        # Written by vnpy's threads (the gateway's for ticks), read by the heartbeat: single
        # assignments, so the GIL keeps each one whole.
        self.connected = False
        self.ticks_total = 0
        self.ticks_dropped = 0
        self.last_tick_at: datetime | None = None
        self.canary_tick_at: datetime | None = None
        self.canary_received_ns: int | None = None
        self._last_connection: tuple[str, int | None] | None = None
        self._handler_errors = 0

        self._tasks: list[asyncio.Task[None]] = []
        self._query = ""
        """The newest instrument query's id: its answer carries it."""

    # --- lifecycle --------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        ee = self.event_engine
        self.gateway.tick_sink = self._on_tick_data
        self.gateway.instrument_sink = self._on_instruments
        ee.register(EVENT_CONNECTION, self._on_connection)
        ee.register(EVENT_LOG, self._on_log)
        ee.start()
        self._tasks.append(asyncio.create_task(self._pump(), name="pump"))
        control = await listen.serve(
            self.nc,
            subjects.worker_control(self.source),
            WorkerCommand,
            self._on_control,
            refuse=lambda reason: Reply(ok=False, error=reason),
            what="worker command",
            log=self.log,
            concurrent=False,
        )
        self.log.info(
            "starting %s gateway (pid %d, dir %s)",
            self.config.gateway_type,
            os.getpid(),
            os.getcwd(),
        )
        self.gateway.start()
        self.subscribe(self.config.all_symbols())
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="heartbeat"))
        crash_after = self.config.sim.crash_after_s if self.config.sim is not None else None
        if crash_after is not None:
            self._tasks.append(asyncio.create_task(self._crash_after(crash_after), name="crash"))

        await stop.wait()

        self.log.info("stopping")
        # Every NATS step is bounded: with the server gone or frozen, nats-py can wait
        # forever, and a worker that never exits outlives its manager.
        await control.close(NATS_STEP_TIMEOUT_S)
        clean = await self._close_gateway()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._publish_queued(), NATS_STEP_TIMEOUT_S)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.nc.drain(), NATS_STEP_TIMEOUT_S)
        if not clean:
            # The gateway's threads are stuck; a normal exit would wait for them forever.
            os._exit(0)
        if not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), NATS_STEP_TIMEOUT_S)

    async def _close_gateway(self) -> bool:
        """Close the gateway and the EventEngine on a helper thread, bounded in time."""
        done = asyncio.Event()

        def close() -> None:
            try:
                self.gateway.close()
                self.event_engine.stop()
            except Exception:
                self.log.exception("closing the gateway failed")
            finally:
                self.loop.call_soon_threadsafe(done.set)

        threading.Thread(target=close, name="close", daemon=True).start()
        try:
            await asyncio.wait_for(done.wait(), CLOSE_TIMEOUT_S)
            return True
        except TimeoutError:
            self.log.warning("gateway did not close within %.1f s", CLOSE_TIMEOUT_S)
            return False

    # --- subscriptions ------------------------------------------------------------------

    def subscribe(self, vt_symbols: list[str]) -> None:
        """Subscribe contracts (raises ValueError for a malformed one, before any change).

        One already held is left alone: the manager repeats a subscription when a
        heartbeat crossed its command, and CTP would take a repeat for a new
        subscription (its next tick judged as a replay)."""
        requests = [_request(vt_symbol) for vt_symbol in vt_symbols]
        held = self._subscribed
        self._hold(held | set(vt_symbols))
        for vt_symbol, req in zip(vt_symbols, requests, strict=True):
            if vt_symbol not in held:
                self.gateway.subscribe(req)

    def unsubscribe(self, vt_symbols: list[str]) -> None:
        requests = [_request(vt_symbol) for vt_symbol in vt_symbols]
        self._hold(self._subscribed - set(vt_symbols))
        for req in requests:
            self.gateway.unsubscribe(req)

    def hold(self, vt_symbols: list[str]) -> None:
        """Hold exactly ``vt_symbols``: the new ones subscribed first, then the rest
        dropped (raises ValueError for a malformed one, before any change)."""
        for vt_symbol in vt_symbols:
            _request(vt_symbol)
        wanted = set(vt_symbols)
        self.subscribe(sorted(wanted - self._subscribed))
        self.unsubscribe(sorted(self._subscribed - wanted))

    def _hold(self, subscribed: frozenset[str]) -> None:
        self._subscribed = subscribed
        self._subscribed_digest = contracts_digest(subscribed)

    # --- vnpy's threads ------------------------------------------------------------------

    def _on_tick_data(self, data: TickData) -> None:
        """Called on the gateway's thread (see SourceGateway.on_tick)."""
        try:
            vt_symbol: str = data.vt_symbol
            if vt_symbol not in self._subscribed:
                return
            received_ns = time.time_ns()
            extra = data.extra
            live = (
                not (extra and extra.get("live") is False)
                and received_ns - data.datetime.timestamp() * 1e9 <= self._stale_ns
            )
            in_session = not (extra and extra.get("in_session") is False)
            tick = tick_message(data, self.source, received_ns, live, in_session)
            self._queue.append(tick)
            self.ticks_total += 1
            if live and in_session:
                self.last_tick_at = data.datetime
                if vt_symbol == self.config.canary:
                    self.canary_tick_at = data.datetime
                    self.canary_received_ns = received_ns
                    self._queue.append((self._canary_subject, codec.encode(tick), False))
            if not self._woken:
                self._woken = True
                self.loop.call_soon_threadsafe(self._wake.set)
        except Exception:
            # An exception here would end the gateway's thread (the sim's generator, CTP's
            # callback), and every tick after.
            self._handler_errors += 1
            if self._handler_errors <= 10 or self._handler_errors % 10_000 == 0:
                self.log.exception("dropped a tick (%d so far)", self._handler_errors)

    def _on_connection(self, event: Event) -> None:
        conn: Connection = event.data
        self.connected = conn.state == "connected"
        key = (conn.state, conn.reason_code)
        if key == self._last_connection:
            return
        self._last_connection = key
        level = logging.INFO if conn.state in ("connecting", "connected") else logging.WARNING
        self.log.log(
            level,
            "connection %s%s%s",
            conn.state,
            f" (code {conn.reason_code})" if conn.reason_code is not None else "",
            f": {conn.message}" if conn.message else "",
        )
        # Through the tick queue, in the order it reached this thread. Ticks come
        # straight from the gateway's thread, so one can overtake a connection change
        # still waiting in vnpy's EventEngine queue.
        self._queue.append((subjects.connection(self.source), codec.encode(conn), True))
        if not self._woken:
            self._woken = True
            self.loop.call_soon_threadsafe(self._wake.set)

    def _on_instruments(self, answer: InstrumentAnswer) -> None:
        """Any thread: the answer goes out from the loop."""
        self.loop.call_soon_threadsafe(self._send_instruments_soon, answer)

    def _send_instruments_soon(self, answer: InstrumentAnswer) -> None:
        task = asyncio.create_task(self._send_instruments(answer), name="instruments")
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _send_instruments(self, answer: InstrumentAnswer) -> None:
        """The answer as InstrumentBatches of at most INSTRUMENT_BATCH_MAX, the last
        one marked: the manager stores a catalog only when it has it whole."""
        subject = subjects.instruments(self.source)
        found = answer.instruments
        parts = [
            found[i : i + INSTRUMENT_BATCH_MAX] for i in range(0, len(found), INSTRUMENT_BATCH_MAX)
        ]
        parts = parts or [[]]
        try:
            for number, part in enumerate(parts, 1):
                batch = InstrumentBatch(
                    source=self.source,
                    query=self._query,
                    trading_day=answer.trading_day,
                    instruments=part,
                    last=number == len(parts),
                    error=answer.error,
                )
                await self.nc.publish(subject, codec.encode(batch))
        except Exception as error:
            self.log.warning("instrument list not sent: %r", error)
            return
        if answer.error:
            self.log.warning("instrument query: %s", answer.error)
        else:
            self.log.info(
                "instrument query: %d instruments sent (trading day %s)",
                len(found),
                answer.trading_day,
            )

    def _on_log(self, event: Event) -> None:
        data: LogData = event.data
        self.log.log(getattr(data, "level", logging.INFO), "vnpy: %s", data.msg)

    # --- loop side ------------------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            # Cleared before draining: a tick appended from now on wakes us again.
            self._woken = False
            await self._publish_queued()

    async def _publish_queued(self) -> None:
        """Send everything queued: ticks as one batch per exchange (:mod:`.batching`),
        yielding to the loop every ``PUMP_YIELD`` items so heartbeats still go out."""
        while self._queue:
            for send in outgoing(self._queue, PUMP_YIELD):
                if isinstance(send, Batch):
                    await self._send_batch(subjects.ticks(self.source, send.exchange), send.ticks)
                else:
                    await self._publish(send[0], send[1], 1)
            await asyncio.sleep(0)

    async def _send_batch(self, subject: str, ticks: list[Tick]) -> None:
        for payload, count in payloads(ticks, _encode_batch, self.nc.max_payload):
            await self._publish(subject, payload, count)

    async def _publish(self, subject: str, payload: bytes, ticks: int) -> None:
        try:
            await self.nc.publish(subject, payload)
        except Exception as error:
            self.ticks_dropped += ticks
            if self.ticks_dropped <= 10 or self.ticks_dropped % 10_000 < ticks:
                self.log.warning(
                    "NATS refused a message (%r); %d dropped so far", error, self.ticks_dropped
                )

    async def _heartbeat(self) -> None:
        interval = self.settings.heartbeat_interval_s
        seq = 0
        next_at = self.loop.time()
        while True:
            seq += 1
            received = self.canary_received_ns
            beat = Heartbeat(
                source=self.source,
                pid=os.getpid(),
                seq=seq,
                at=datetime.now(UTC),
                connected=self.connected,
                ticks_total=self.ticks_total,
                last_tick_at=self.last_tick_at,
                canary=self.config.canary,
                canary_tick_at=self.canary_tick_at,
                canary_received_at=(
                    datetime.fromtimestamp(received / 1e9, UTC) if received is not None else None
                ),
                subscribed_count=len(self._subscribed),
                subscribed_digest=self._subscribed_digest,
            )
            try:
                await self.nc.publish(subjects.heartbeat(self.source), codec.encode(beat))
            except Exception as error:
                self.log.warning("heartbeat not sent: %r", error)
            next_at += interval
            now = self.loop.time()
            if next_at < now:  # after a freeze, beat now rather than in a burst
                next_at = now
            await asyncio.sleep(next_at - now)

    async def _crash_after(self, delay_s: float) -> None:
        """SimSettings.crash_after_s: a crash-looping source, for rehearsals and tests."""
        await asyncio.sleep(delay_s)
        self.log.error("sim crash_after_s=%g: exiting with code %d", delay_s, CRASH_EXIT_CODE)
        # Let the line reach NATS first (bounded: the bus may be the thing that is down).
        await asyncio.sleep(0)  # the log handler's publish runs as its own step
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.nc.flush(), NATS_STEP_TIMEOUT_S)
        logging.shutdown()
        os._exit(CRASH_EXIT_CODE)

    async def _on_control(self, subject: str, command: WorkerCommand) -> Reply:
        """A worker command from the manager (``listen.serve`` decodes it and refuses
        one that does not decode with "bad worker command: ...")."""
        if command.action == "fault" and command.fault == "crash":
            self.log.warning("fault crash: exiting with code %d", CRASH_EXIT_CODE)
            logging.shutdown()
            os._exit(CRASH_EXIT_CODE)
        try:
            if command.action == "subscribe":
                self.subscribe(command.vt_symbols)
            elif command.action == "unsubscribe":
                self.unsubscribe(command.vt_symbols)
            elif command.action == "hold":
                self.hold(command.vt_symbols)
            elif command.action == "query_instruments":
                self._query = command.query
                self.gateway.query_instruments()
            else:
                self._fault(command.fault)
        except (ValueError, FaultNotSupported) as error:
            return Reply(ok=False, error=str(error))
        self.log.info("%s %s done", command.action, command.fault or few(command.vt_symbols))
        return Reply(ok=True)

    def _fault(self, kind: FaultKind | None) -> None:
        if kind is None:
            raise ValueError("a fault command needs a fault kind")
        if kind == "hang":
            raise FaultNotSupported("hang is done by the manager (SIGSTOP), not the worker")
        self.log.warning("fault %s", kind)
        self.gateway.inject_fault(kind)


def _encode_batch(ticks: list[Tick]) -> bytes:
    return codec.encode(TickBatch(ticks=ticks))


def _request(vt_symbol: str) -> SubscribeRequest:
    symbol, exchange = subjects.split_vt_symbol(vt_symbol)
    try:
        return SubscribeRequest(symbol=symbol, exchange=Exchange(exchange))
    except ValueError:
        raise ValueError(f"unknown exchange {exchange!r} in {vt_symbol!r}") from None
