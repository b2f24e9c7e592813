"""The publisher service: bind the PUB socket, join NATS, follow the routing bucket,
read the main contracts, bridge until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import zmq
from nats.aio.client import Client

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import PublisherStats
from tickhub_runtime import bus
from tickhub_runtime.kv import Mirror
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings
from tickhub_universe.main_contract import decide

from . import routing
from .bridge import Bridge
from .counters import StatsLine
from .mains import FIRST_LOOK_S
from .mainstore import PERSIST_S, MainStore
from .recovery import Answers, Book, RecoveryServer
from .ring import Rings
from .zmqpub import BindError, bind_pub, bound_endpoint

log = get_logger("tickhub.publisher")

STATS_INTERVAL_S = 10.0
ROUTING_WAIT_S = 2.0
"""How long start waits for the first full read of the routing bucket. Ticks that
come before it are held (the latest per source and contract) and offered once it is
read, so a shorter wait costs at most some ticks of the first moment. The main
contracts' buckets are read within the same wait; until they are, ticks go out
without their aliases."""


class Publisher:
    """One running publisher. ``start`` then ``stop``; usable in-process by tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        service_logs: bool = True,
        stats_interval_s: float = STATS_INTERVAL_S,
        aliases: bool = True,
        first_look_s: float = FIRST_LOOK_S,
        persist_s: float = PERSIST_S,
    ) -> None:
        self.settings = settings
        self.service_logs = service_logs
        self.stats_interval_s = stats_interval_s
        self.aliases = aliases
        """Main-contract aliases (``rb888.SHFE``) on; off only for tests and benchmarks."""
        self.first_look_s = first_look_s
        self.persist_s = persist_s
        self.mainstore: MainStore | None = None
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.socket: zmq.Socket[bytes] | None = None
        self.bridge: Bridge | None = None
        self.nc: Client | None = None
        self.routing: Mirror[bytes] | None = None
        self.endpoint = ""
        self.recovery: RecoveryServer | None = None
        self.recovery_endpoint = ""
        """Where the recovery endpoint listens ("" when TICKHUB_ZMQ_RECOVERY is empty)."""
        self._stats_task: asyncio.Task[None] | None = None
        self._publish_task: asyncio.Task[None] | None = None
        self.started_at = dt.datetime.now(dt.UTC)

    async def start(self) -> None:
        """Bind first (a port in use fails fast, before touching NATS), then subscribe.

        Raises :class:`BindError` when the PUB socket cannot bind.
        """
        settings = self.settings
        try:
            self.socket = bind_pub(self.context, settings.zmq_pub, settings.zmq_sndhwm)
        except BindError:
            self.context.term()
            raise
        self.endpoint = bound_endpoint(self.socket)
        bridge = self.bridge = Bridge(
            self.socket,
            future_tick_s=settings.future_tick_s,
            decide=decide if self.aliases else None,
            first_look_s=self.first_look_s,
            rings=Rings(settings.recovery_ring, settings.recovery_ring_total),
        )
        if settings.zmq_recovery:
            answers = Answers(
                Book(bridge.arbiter, bridge.mains),
                bridge.rings,
                bridge.epoch,
                max_ticks=settings.recovery_max_ticks,
                ring=settings.recovery_ring,
            )
            self.recovery = RecoveryServer(
                self.context, settings.zmq_recovery, answers, settings.recovery_share
            )
            try:
                self.recovery_endpoint = self.recovery.start()
            except BindError:
                self.recovery = None
                self.socket.close(0)
                self.socket = None
                self.context.term()
                raise
        on_error = bridge.on_nats_error
        if self.service_logs:
            self.nc = await bus.open_for_service(settings, "publisher", error_cb=on_error)
        else:
            self.nc = await bus.connect(settings, "tickhub-publisher", error_cb=on_error)
        # Started before the tick subscription: its first read overlaps the subscribe.
        self.routing = routing.mirror(self.nc, bridge.on_route_entry)
        self.routing.start()
        if bridge.mains is not None:
            store = self.mainstore = MainStore(
                self.nc,
                bridge.mains,
                exchanges=frozenset(settings.publisher_exchanges),
                persist_s=self.persist_s,
            )
            bridge.on_main = store.on_main
            store.start()
        await bridge.attach(
            self.nc,
            pending_msgs_limit=settings.publisher_pending_msgs,
            pending_bytes_limit=settings.publisher_pending_bytes,
            exchanges=settings.publisher_exchanges,
        )
        waits = [asyncio.ensure_future(self.routing.ready.wait())]
        if self.mainstore is not None:
            waits.append(asyncio.ensure_future(self.mainstore.loaded.wait()))
        await asyncio.wait(waits, timeout=ROUTING_WAIT_S)
        for wait in waits:
            wait.cancel()
        if not self.routing.ready.is_set():
            log.warning(
                "routing bucket not read yet; nothing goes out until it is "
                "(does the failover service run?)"
            )
        if self.mainstore is not None and not self.mainstore.loaded.is_set():
            log.warning("main contracts not read yet; ticks go out without aliases until they are")
        bridge.limit.start()
        self._stats_task = asyncio.create_task(self._log_stats(), name="publisher-stats")
        self._publish_task = asyncio.create_task(self._publish_stats(), name="publisher-drops")
        log.info(
            "publishing ticks on %s (sndhwm %d) of %s, epoch %d; recovery on %s",
            self.endpoint,
            settings.zmq_sndhwm,
            ", ".join(settings.publisher_exchanges) or "every exchange",
            bridge.epoch,
            self.recovery_endpoint or "none (TICKHUB_ZMQ_RECOVERY is empty)",
        )

    async def _log_stats(self) -> None:
        assert self.bridge is not None
        line = StatsLine(self.bridge.counters)
        while True:
            await asyncio.sleep(self.stats_interval_s)
            log.info(line.render())

    def stats(self) -> PublisherStats:
        """What went out and, per source, what did not and why."""
        assert self.bridge is not None
        return PublisherStats(
            at=dt.datetime.now(dt.UTC),
            started_at=self.started_at,
            exchanges=list(self.settings.publisher_exchanges),
            forwarded=self.bridge.counters.forwarded,
            sources=dict(self.bridge.drops),
        )

    async def _publish_stats(self) -> None:
        """Every ``publisher_stats_s``: the per-source drops, for the api and the
        dashboard (a lost message is replaced by the next)."""
        assert self.nc is not None
        while True:
            await asyncio.sleep(self.settings.publisher_stats_s)
            if self.nc.is_connected:
                await self.nc.publish(subjects.PUBLISHER_STATS, codec.encode(self.stats()))

    async def stop(self) -> None:
        """Drain NATS (ticks already received still go out), then close ZeroMQ."""
        for task in (self._stats_task, self._publish_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._stats_task = self._publish_task = None
        if self.bridge is not None:
            self.bridge.limit.stop()
        if self.routing is not None:
            await self.routing.close()
            self.routing = None
        if self.mainstore is not None:
            # Before the drain, which closes the connection: the day books go out now.
            await self.mainstore.close()
            self.mainstore = None
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception as error:  # a lost server must not stop the shutdown
                log.warning("nats drain failed (%r); closing", error)
                await self.nc.close()
        if self.recovery is not None:
            await self.recovery.close()
            self.recovery = None
        if self.bridge is not None:
            log.info("final stats %s", StatsLine(self.bridge.counters).totals())
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if not self.context.closed:
            self.context.term()


async def main(settings: Settings, stop: asyncio.Event) -> None:
    publisher = Publisher(settings)

    async def start() -> bool:
        await publisher.start()
        return True

    try:
        # A stop while NATS is still unreachable (connect retries forever) must end
        # the process too, not wait for a server that may never come.
        try:
            started = await bus.unless_stopped(start(), stop)
        except BindError as error:
            log.error("%s", error)
            raise SystemExit(2) from None
        if not started:
            log.info("stopped before NATS was reached")
            return
        await stop.wait()
    finally:
        await publisher.stop()
