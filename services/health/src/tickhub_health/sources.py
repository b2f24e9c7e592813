"""What the health service hears of the pool, handed to one machine per source.

:class:`Sources` keeps a :class:`~tickhub_health.machine.SourceMachine` per source
and feeds it from the bus: the GatewayManager's statuses (and its whole pool, on
request: which sources left it), the workers' heartbeats and connection messages,
and each worker's copies of its canary's ticks (``tickhub.canary.<source>``), which
also give each source's lag behind the peers that share its canary (:mod:`.lag`).
It judges nothing; the service's check loop does (:mod:`.app`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    Connection,
    GatewayStatus,
    Heartbeat,
    PoolStatus,
    SourceHealth,
    Tick,
)
from tickhub_markets.unknown import warn_if_unknown
from tickhub_runtime import listen
from tickhub_runtime.logs import get_logger

from .lag import PeerLag
from .machine import SourceMachine
from .state import Thresholds

log = get_logger("tickhub.health")

POOL_TIMEOUT_S = 2.0
"""How long a pool query waits for the manager."""


class Sources:
    """The machines of one health service and their subscriptions on ``nc``."""

    def __init__(self, nc: Client, thresholds: Thresholds) -> None:
        self.nc = nc
        self.t = thresholds
        self.machines: dict[str, SourceMachine] = {}
        self.lag = PeerLag()
        self._removed: set[str] = set()
        """Sources dropped from the pool: their stray messages make no new machine."""
        self._pids: dict[str, int | None] = {}
        self._listeners: list[listen.Listener[Any]] = []
        self._canaries: set[str] = set()
        """The contracts that are some source's canary (what the lag is kept on)."""
        """vt_symbol -> the subscription to every source's ticks of that canary."""
        self.pool_asked_at = float("-inf")

    async def subscribe(self) -> None:
        nc = self.nc
        self._listeners = [
            await listen.subscribe(
                nc, subjects.STATUS_ALL, GatewayStatus, self._on_status, what="status", log=log
            ),
            await listen.subscribe(
                nc, subjects.HEARTBEAT_ALL, Heartbeat, self._on_heartbeat, what="heartbeat", log=log
            ),
            await listen.subscribe(
                nc,
                subjects.CONNECTION_ALL,
                Connection,
                self._on_connection,
                what="connection message",
                log=log,
            ),
            # Each worker sends its canary's ticks on a subject of their own, one per
            # tick: two a second per source, where the batches would be every tick.
            await listen.subscribe(
                nc, subjects.CANARY_ALL, Tick, self._on_tick, what="canary tick", log=log
            ),
        ]

    async def unsubscribe(self, step_s: float) -> None:
        for listener in self._listeners:
            await listener.close(step_s)
        self._listeners = []

    def restore(self, found: Mapping[str, bytes], now: datetime) -> None:
        """A machine per verdict a previous run left in the bucket (key -> value)."""
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

    def forget(self, name: str) -> None:
        """A source that left the pool: its stray messages make no new machine."""
        self.machines.pop(name, None)
        self._pids.pop(name, None)
        self.lag.forget(name)
        self._removed.add(name)

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

    def _on_status(self, subject: str, status: GatewayStatus) -> None:
        self._take_status(status, datetime.now(UTC))

    def _take_status(self, status: GatewayStatus, now: datetime) -> None:
        self._removed.discard(status.source)
        machine = self._machine(status.source, create=True)
        if machine is None:
            return
        machine.on_status(status, now)
        self._follow_process(machine)

    def _on_heartbeat(self, subject: str, beat: Heartbeat) -> None:
        if beat.source in self._removed:
            return
        # The manager may be silent: a beating worker is judged without its status.
        machine = self._machine(beat.source, create=True)
        if machine is not None:
            machine.on_heartbeat(beat, datetime.now(UTC))
            self._follow_process(machine)

    def _on_connection(self, subject: str, conn: Connection) -> None:
        machine = self._machine(conn.source, create=False)
        if machine is not None:
            machine.on_connection(conn, datetime.now(UTC))

    def _follow_process(self, machine: SourceMachine) -> None:
        """A new process starts its lag measurement over."""
        if self._pids.get(machine.source) != machine.pid:
            self._pids[machine.source] = machine.pid
            self.lag.forget(machine.source)

    def _on_tick(self, subject: str, tick: Tick) -> None:
        arrived_s = time.time()
        if not tick.live or tick.datetime.tzinfo is None:
            return
        source = subjects.canary_source(subject)
        vt_symbol = tick.vt_symbol
        self.lag.observe(source, vt_symbol, (tick.datetime, tick.volume), arrived_s)
        machine = self.machines.get(source)
        if machine is not None and machine.canary == vt_symbol:
            machine.on_canary_tick(tick.datetime, datetime.fromtimestamp(arrived_s, UTC))

    async def ask_pool(self) -> None:
        """The manager's whole pool: fresh statuses, and which sources left it."""
        self.pool_asked_at = time.monotonic()
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

    def follow_canaries(self) -> None:
        """Keep up with the pool's canaries: warn about an unknown one, and forget the
        lag kept on a contract that is no longer any source's canary."""
        wanted = {m.canary for m in self.machines.values() if m.canary}
        for vt_symbol in sorted(self._canaries - wanted):
            self.lag.forget_contract(vt_symbol)
        for vt_symbol in sorted(wanted - self._canaries):
            warn_if_unknown(vt_symbol, log)
        self._canaries = wanted
