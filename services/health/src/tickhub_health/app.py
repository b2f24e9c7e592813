"""The health service: judges every source of the pool and tells everyone.

It listens to the GatewayManager's statuses, the workers' heartbeats and connection
messages, and the ticks of every canary contract (from every source, which also
gives each source's lag behind its peers). Every ``health_check_interval_s`` it
re-judges each source (:mod:`.machine`); a verdict goes out on
``tickhub.health.<source>`` on every change and every ``health_publish_s``, and into
the ``tickhub_health`` bucket, where the failover service, the api and a restarted
health service read it.

A restart of this service must not look like a failure of the pool: at start it
reads the bucket and carries every verdict on (``since`` included) until fresh
evidence says otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, date, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.kv import KeyValue

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    Connection,
    GatewayStatus,
    Heartbeat,
    PoolStatus,
    SourceHealth,
    Tick,
)
from tickhub_runtime import bus, kv
from tickhub_runtime.link import LinkWatch
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .lag import PeerLag
from .machine import SourceMachine, Thresholds, Verdict

log = get_logger("tickhub.health")

HOLIDAYS_REREAD_S = 60.0
"""The holidays file is read again this often (an operator may edit it)."""
POOL_TIMEOUT_S = 2.0
"""How long a pool query waits for the manager."""
KV_STEP_S = 2.0
"""Bound on each bucket call."""
BUCKET_RETRY_S = 2.0
CLOSE_STEP_S = 2.0


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        heartbeat_interval_s=settings.heartbeat_interval_s,
        heartbeat_timeout_s=settings.heartbeat_timeout_s,
        canary_timeout_s=settings.canary_timeout_s,
        lag_degraded_ms=settings.lag_degraded_ms,
        startup_grace_s=settings.startup_grace_s,
        status_interval_s=settings.status_interval_s,
    )


class HealthService:
    """One running health service on ``nc``: :meth:`start`, then :meth:`close`."""

    def __init__(self, settings: Settings, nc: Client) -> None:
        self.settings = settings
        self.nc = nc
        self.t = thresholds(settings)
        self.machines: dict[str, SourceMachine] = {}
        self.lag = PeerLag()
        self.bucket: KeyValue | None = None
        self._removed: set[str] = set()
        """Sources dropped from the pool: their stray messages make no new machine."""
        self._pids: dict[str, int | None] = {}
        self._published_at: dict[str, float] = {}
        self._pending: dict[str, bytes | None] = {}
        """Bucket writes not done yet, the newest per key (None: delete)."""
        self._wake_writer = asyncio.Event()
        self._subs: list[Subscription] = []
        self._canary_subs: dict[str, Subscription] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pool_task: asyncio.Task[None] | None = None
        self._pool_asked_at = float("-inf")
        self._holidays: frozenset[date] = frozenset()
        self._holidays_read_at = float("-inf")
        self._closing = False
        self.link = LinkWatch(nc, stale_s=min(0.6, settings.heartbeat_timeout_s / 2))
        """Judging by silence needs proof that we hear the bus (see tickhub_runtime.link)."""

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Read the bucket (previous verdicts), subscribe, ask the manager for its
        pool, then judge every ``health_check_interval_s``."""
        await self._open_bucket(restore=True)
        nc = self.nc
        self._subs = [
            await nc.subscribe(subjects.STATUS_ALL, cb=self._on_status),
            await nc.subscribe(subjects.HEARTBEAT_ALL, cb=self._on_heartbeat),
            await nc.subscribe(subjects.CONNECTION_ALL, cb=self._on_connection),
        ]
        await self._ask_pool()
        self.link.start()
        self._tasks = [
            asyncio.create_task(self._judge_loop(), name="health-judge"),
            asyncio.create_task(self._write_loop(), name="health-bucket-writer"),
        ]
        log.info(
            "judging %d source(s); heartbeat timeout %.1f s, canary timeout %.1f s, "
            "lag limit %.0f ms",
            len(self.machines),
            self.t.heartbeat_timeout_s,
            self.t.canary_timeout_s,
            self.t.lag_degraded_ms,
        )

    async def close(self) -> None:
        self._closing = True
        await self.link.close()
        tasks = [*self._tasks, *([self._pool_task] if self._pool_task else [])]
        for task in tasks:
            task.cancel()
        # nats-py can swallow a cancellation inside a request: never wait for good.
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_STEP_S)
        await self._flush_bucket()
        for sub in [*self._subs, *self._canary_subs.values()]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), CLOSE_STEP_S)
        self._subs, self._canary_subs = [], {}

    # --- the bucket -------------------------------------------------------------------

    async def _open_bucket(self, *, restore: bool) -> None:
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
            return
        self.bucket = bucket
        now = datetime.now(UTC)
        for key, raw in sorted(found.items()):
            try:
                health = codec.decode(raw, SourceHealth)
            except codec.DecodeError as error:
                log.warning("bucket %s: skipped key %s: %s", buckets.HEALTH, key, error)
                continue
            self.machines[health.source] = SourceMachine(health.source, self.t, now, health)
            self._pids[health.source] = health.pid
            log.info(
                "carried on from the bucket: %s %s since %s (%s)",
                health.state,
                health.cause,
                health.since.isoformat(timespec="seconds"),
                health.reason,
                extra={"source": health.source},
            )

    def _put(self, source: str, health: SourceHealth | None) -> None:
        self._pending[buckets.health_key(source)] = None if health is None else codec.encode(health)
        self._wake_writer.set()

    async def _write_loop(self) -> None:
        """Bucket writes off the judging path: a slow JetStream never delays a verdict
        on the subject, and only the newest value per key is written."""
        while True:
            await self._wake_writer.wait()
            self._wake_writer.clear()
            if self.bucket is None:
                await self._open_bucket(restore=False)
                if self.bucket is None:
                    await asyncio.sleep(BUCKET_RETRY_S)
                    self._wake_writer.set()
                    continue
            if not await self._flush_bucket():
                # Open it again before the retry: a bucket deleted meanwhile is
                # created anew rather than failed against for good.
                self.bucket = None
                await asyncio.sleep(BUCKET_RETRY_S)
                self._wake_writer.set()

    async def _flush_bucket(self) -> bool:
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

    # --- what the pool says -------------------------------------------------------------

    def _machine(self, source: str, *, create: bool) -> SourceMachine | None:
        machine = self.machines.get(source)
        if machine is None and create:
            try:
                subjects.token(source, "source name")
            except subjects.InvalidToken:
                return None
            machine = self.machines[source] = SourceMachine(source, self.t, datetime.now(UTC))
        return machine

    async def _on_status(self, msg: Msg) -> None:
        try:
            status = codec.decode(msg.data, GatewayStatus)
        except codec.DecodeError:
            log.warning("dropped a malformed status on %s", msg.subject)
            return
        self._take_status(status, datetime.now(UTC))

    def _take_status(self, status: GatewayStatus, now: datetime) -> None:
        self._removed.discard(status.source)
        machine = self._machine(status.source, create=True)
        if machine is None:
            return
        machine.on_status(status, now)
        self._follow_process(machine)

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            beat = codec.decode(msg.data, Heartbeat)
        except codec.DecodeError:
            log.warning("dropped a malformed heartbeat on %s", msg.subject)
            return
        if beat.source in self._removed:
            return
        # The manager may be silent: a beating worker is judged without its status.
        machine = self._machine(beat.source, create=True)
        if machine is not None:
            machine.on_heartbeat(beat, datetime.now(UTC))
            self._follow_process(machine)

    async def _on_connection(self, msg: Msg) -> None:
        try:
            conn = codec.decode(msg.data, Connection)
        except codec.DecodeError:
            log.warning("dropped a malformed connection message on %s", msg.subject)
            return
        machine = self._machine(conn.source, create=False)
        if machine is not None:
            machine.on_connection(conn, datetime.now(UTC))

    def _follow_process(self, machine: SourceMachine) -> None:
        """A new process starts its lag measurement over."""
        if self._pids.get(machine.source) != machine.pid:
            self._pids[machine.source] = machine.pid
            self.lag.forget(machine.source)

    async def _on_tick(self, msg: Msg) -> None:
        arrived_s = time.time()
        try:
            tick = codec.decode(msg.data, Tick)
        except codec.DecodeError:
            return
        if not tick.live or tick.datetime.tzinfo is None:
            return
        source = subjects.tick_source(msg.subject)
        vt_symbol = tick.vt_symbol
        self.lag.observe(source, vt_symbol, (tick.datetime, tick.volume), arrived_s)
        machine = self.machines.get(source)
        if machine is not None and machine.canary == vt_symbol:
            machine.on_canary_tick(tick.datetime, datetime.fromtimestamp(arrived_s, UTC))

    async def _ask_pool(self) -> None:
        """The manager's whole pool: fresh statuses, and which sources left it."""
        self._pool_asked_at = time.monotonic()
        try:
            msg = await self.nc.request(subjects.POOL, b"", timeout=POOL_TIMEOUT_S)
            pool = codec.decode(msg.data, PoolStatus)
        except Exception as error:
            log.debug("no pool answer (%r): judging by heartbeats", error)
            return
        now = datetime.now(UTC)
        names = {status.source for status in pool.gateways}
        for status in pool.gateways:
            self._take_status(status, now)
        for name, machine in self.machines.items():
            if name not in names and not machine.status_fresh(now):
                machine.removed(now)

    # --- judging ----------------------------------------------------------------------------

    async def _judge_loop(self) -> None:
        interval = self.settings.health_check_interval_s
        while True:
            try:
                await self._judge_once()
            except Exception:  # one bad judgement must not end the service
                log.exception("judging failed")
            await asyncio.sleep(interval)

    def _current_holidays(self) -> frozenset[date]:
        clock = time.monotonic()
        if clock - self._holidays_read_at >= HOLIDAYS_REREAD_S:
            self._holidays_read_at = clock
            try:
                self._holidays = self.settings.all_holidays()
            except (OSError, ValueError) as error:
                log.warning("holidays not read (%s); keeping the previous list", error)
        return self._holidays

    async def _judge_once(self) -> None:
        now = datetime.now(UTC)
        now_s = now.timestamp()
        clock = time.monotonic()
        if not self.link.hearing(clock):
            return  # cut off: every source falls silent at once, and that says nothing
        if self.link.take_regained():
            for machine in self.machines.values():
                machine.excuse_silence(now)
            self.lag.reset()
        holidays = self._current_holidays()
        await self._follow_canaries()
        stale = False
        for name, machine in list(self.machines.items()):
            machine.on_lag(self.lag.lag_ms(name, now_s))
            change = machine.evaluate(now, holidays)
            if not machine.status_fresh(now):
                stale = True
            due = clock - self._published_at.get(name, float("-inf"))
            if change is not None:
                self._log_change(machine, change)
            if change is not None or due >= self.settings.health_publish_s:
                await self._publish(machine, now, clock)
            if machine.removed_at is not None and machine.verdict.state == "STOPPED":
                self._forget(name)
        if (
            stale
            and (self._pool_task is None or self._pool_task.done())
            and clock - self._pool_asked_at >= self.settings.status_interval_s
        ):
            self._pool_task = asyncio.create_task(self._ask_pool(), name="health-pool")

    async def _publish(self, machine: SourceMachine, now: datetime, clock: float) -> None:
        health = machine.report(now)
        self._published_at[machine.source] = clock
        self._put(machine.source, health)
        try:
            await self.nc.publish(subjects.health(machine.source), codec.encode(health))
        except Exception as error:  # the bus is away: the bucket write catches up
            log.debug("verdict not published (%r)", error, extra={"source": machine.source})

    def _forget(self, name: str) -> None:
        """A source that left the pool: its STOPPED verdict went out; its key goes."""
        log.info("left the pool: its verdict is deleted from the bucket", extra={"source": name})
        self.machines.pop(name, None)
        self._published_at.pop(name, None)
        self._pids.pop(name, None)
        self.lag.forget(name)
        self._removed.add(name)
        self._put(name, None)

    def _log_change(self, machine: SourceMachine, change: Verdict) -> None:
        level = logging.WARNING if change.state == "UNHEALTHY" else logging.INFO
        ms = change.detected_ms
        detected = "" if ms is None else f"; detected in {ms:.0f} ms"
        log.log(
            level,
            "%s -> %s (%s): %s%s",
            change.previous or "-",
            change.state,
            change.cause,
            change.reason,
            detected,
            extra={"source": machine.source, "symbol": machine.canary or None},
        )

    async def _follow_canaries(self) -> None:
        """One subscription per distinct canary, for every source's copy of it."""
        wanted = {m.canary for m in self.machines.values() if m.canary}
        for vt_symbol in sorted(self._canary_subs.keys() - wanted):
            sub = self._canary_subs.pop(vt_symbol)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            self.lag.forget_contract(vt_symbol)
        for vt_symbol in sorted(wanted - self._canary_subs.keys()):
            try:
                symbol, exchange = subjects.split_vt_symbol(vt_symbol)
            except subjects.InvalidToken:
                continue
            self._canary_subs[vt_symbol] = await self.nc.subscribe(
                subjects.tick("*", exchange, symbol), cb=self._on_tick
            )


async def main(settings: Settings, stop: asyncio.Event) -> None:
    nc = await bus.open_unless_stopped(settings, "health", stop)
    if nc is None:
        return
    service = HealthService(settings, nc)
    try:
        await service.start()
        await stop.wait()
    finally:
        await service.close()
        await bus.drain_bounded(nc)
