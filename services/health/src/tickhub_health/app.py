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

This module wires the service and runs its check loop, per check:

1. nothing, while this service does not hear the bus (every source would fall silent
   at once, and that says nothing); after such a cut every machine's silence is
   counted again and the lag measurement starts over;
2. follow the canaries (a subscription per distinct canary, :mod:`.sources`);
3. per source: its lag, its judgement (:meth:`.machine.SourceMachine.evaluate`), a
   log line on a change, the verdict on the subject and into the bucket
   (a :class:`~tickhub_runtime.kv.BucketWriter`) on a change or when due; a source
   that left the pool is forgotten once its STOPPED verdict went out;
4. ask the manager for its pool when a status is overdue.

Sessions are judged with the exchanges' holidays of :mod:`tickhub_markets.calendar`
(built in) plus the configured ones (``TICKHUB_HOLIDAYS``, ``TICKHUB_HOLIDAYS_FILE``,
re-read every minute). A day the calendar does not know, or its end within 30 days, is
logged at start and once a day (ERROR once beyond it) and goes out with every verdict
(``SourceHealth.calendar_warning``), which the dashboard shows as a banner.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, date, datetime

from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import SourceHealth
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.calendar import LIBRARY, ExchangeCalendar, library_version
from tickhub_runtime import service
from tickhub_runtime.kv import BucketWriter
from tickhub_runtime.link import LinkWatch
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .machine import SourceMachine
from .sources import Sources
from .state import Thresholds, Verdict

log = get_logger("tickhub.health")

HOLIDAYS_REREAD_S = 60.0
"""The holidays file is read again this often (an operator may edit it)."""
CALENDAR_LOG = {"beyond": logging.ERROR, "ending": logging.WARNING, "ok": logging.INFO}
CLOSE_STEP_S = 2.0
BUCKET_DESCRIPTION = "tickhub: the health service's newest verdict per source"


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        heartbeat_interval_s=settings.heartbeat_interval_s,
        heartbeat_timeout_s=settings.heartbeat_timeout_s,
        canary_timeout_s=settings.canary_timeout_s,
        lag_degraded_ms=settings.lag_degraded_ms,
        startup_grace_s=settings.startup_grace_s,
        status_interval_s=settings.status_interval_s,
        market_offset_s=settings.market_clock_offset_s,
    )


class HealthService:
    """One running health service on ``nc``: :meth:`start`, then :meth:`close`."""

    def __init__(self, settings: Settings, nc: Client) -> None:
        self.settings = settings
        self.nc = nc
        self.t = thresholds(settings)
        self.sources = Sources(nc, self.t)
        self.verdicts = BucketWriter(nc, buckets.HEALTH, description=BUCKET_DESCRIPTION, log=log)
        """The newest verdict per source, written off the judging path: a slow
        JetStream never delays a verdict on the subject; a bucket deleted meanwhile
        is created anew."""
        self._published_at: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pool_task: asyncio.Task[None] | None = None
        self.calendar = ExchangeCalendar.build()
        """The exchange holidays judged by: the built-in calendar, plus the configured
        ones once read (a file that cannot be read never leaves the built-in out)."""
        self._calendar_read_at = float("-inf")
        self._calendar_logged: tuple[date | None, str, date] | None = None
        self.calendar_warning = ""
        """What every verdict says about the calendar (SourceHealth.calendar_warning)."""
        self._closing = False
        self.link = LinkWatch(nc, stale_s=min(0.6, settings.heartbeat_timeout_s / 2))
        """Judging by silence needs proof that we hear the bus (see tickhub_runtime.link)."""

    @property
    def machines(self) -> dict[str, SourceMachine]:
        """source -> its machine."""
        return self.sources.machines

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Read the bucket (previous verdicts), subscribe, ask the manager for its
        pool, then judge every ``health_check_interval_s``."""
        self.sources.restore(await self._restore(), datetime.now(UTC))
        await self.sources.subscribe()
        await self.sources.ask_pool()
        self.link.start()
        self.verdicts.start()
        self._tasks = [asyncio.create_task(self._judge_loop(), name="health-judge")]
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
        await self.verdicts.close(CLOSE_STEP_S)
        await self.sources.unsubscribe(CLOSE_STEP_S)

    async def _restore(self) -> dict[str, bytes]:
        """What a previous run left in the bucket (key -> verdict), creating it;
        nothing when it is not available: the verdicts go out on NATS only until it is."""
        try:
            return await self.verdicts.load()
        except Exception as error:
            log.warning(
                "bucket %s not available (%r): verdicts go out on NATS only until it is",
                buckets.HEALTH,
                error,
            )
            return {}

    # --- judging ----------------------------------------------------------------------------

    async def _judge_loop(self) -> None:
        interval = self.settings.health_check_interval_s
        while True:
            try:
                await self._judge_once()
            except Exception:  # one bad judgement must not end the service
                log.exception("judging failed")
            await asyncio.sleep(interval)

    def _current_calendar(self, now: datetime) -> ExchangeCalendar:
        """The calendar, its configured part read again every ``HOLIDAYS_REREAD_S``.
        Its coverage of the market's today is logged at start and on every change, and
        while it is not ``ok`` once a day more (ERROR when the day is beyond it)."""
        clock = time.monotonic()
        if clock - self._calendar_read_at >= HOLIDAYS_REREAD_S:
            self._calendar_read_at = clock
            try:
                self.calendar = self.settings.exchange_calendar()
            except (OSError, ValueError) as error:
                log.warning("holidays not read (%s); keeping the previous list", error)
        calendar = self.calendar
        today = self.settings.market_now(now).astimezone(CHINA_TZ).date()
        coverage = calendar.coverage(today)
        self.calendar_warning = calendar.warning(today)
        logged = (None if coverage == "ok" else today, coverage, calendar.covered_until)
        if logged != self._calendar_logged:
            self._calendar_logged = logged
            if coverage == "ok":
                log.info(
                    "exchange calendar: %s %s, holidays known until %s",
                    LIBRARY,
                    library_version(),
                    calendar.covered_until.isoformat(),
                )
            else:
                log.log(CALENDAR_LOG[coverage], "%s", self.calendar_warning)
        return calendar

    async def _judge_once(self) -> None:
        now = datetime.now(UTC)
        now_s = now.timestamp()
        clock = time.monotonic()
        if not self.link.hearing(clock):
            return  # cut off: every source falls silent at once, and that says nothing
        if self.link.take_regained():
            for machine in self.machines.values():
                machine.excuse_silence(now)
            self.sources.lag.reset()
        holidays = self._current_calendar(now).holidays
        self.sources.follow_canaries()
        stale = False
        for name, machine in list(self.machines.items()):
            machine.on_lag(self.sources.lag.lag_ms(name, now_s))
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
            and clock - self.sources.pool_asked_at >= self.settings.status_interval_s
        ):
            self._pool_task = asyncio.create_task(self.sources.ask_pool(), name="health-pool")

    async def _publish(self, machine: SourceMachine, now: datetime, clock: float) -> None:
        health = machine.report(now)
        health.calendar_warning = self.calendar_warning
        self._published_at[machine.source] = clock
        self._put(machine.source, health)
        try:
            await self.nc.publish(subjects.health(machine.source), codec.encode(health))
        except Exception as error:  # the bus is away: the bucket write catches up
            log.debug("verdict not published (%r)", error, extra={"source": machine.source})

    def _forget(self, name: str) -> None:
        """A source that left the pool: its STOPPED verdict went out; its key goes."""
        log.info("left the pool: its verdict is deleted from the bucket", extra={"source": name})
        self._published_at.pop(name, None)
        self.sources.forget(name)
        self._put(name, None)

    def _put(self, source: str, health: SourceHealth | None) -> None:
        self.verdicts.put(
            buckets.health_key(source), None if health is None else codec.encode(health)
        )

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


main = service.on_bus("health", HealthService)
"""``main(settings, stop)``: connect, run a :class:`HealthService` until stopped, drain."""
