"""A whole hub as real OS processes, for fault injection (tests/integration/ha, the
failover benchmark).

One nats-server (JetStream, its own store dir and free port), then the gateway
service with a static pool (``TICKHUB_SOURCES``), health, failover and publisher,
each ``python -m tickhub_<name>`` in its own process group with its log in a file.
A ZeroMQ :class:`~tickhub_harness.failover_recorder.Recorder` stands for the client, and a
:class:`BusWatch` writes down every health verdict, failover and restart event,
status and heartbeat with its arrival time, so a test can wait on them (never on a
sleep) and measure how long a detection took.

:meth:`Hub.close` ends everything it started, also on a failure half-way: service
process groups (SIGTERM, SIGKILL after a short grace), then every worker pid the bus
or /proc showed (workers run in sessions of their own, outside the gateway's group),
then the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from tickhub_cli.natsserver import NatsServer
from tickhub_cli.ports import free_port
from tickhub_contracts.messages import Command, RestartEvent, SourceConfig, SourceHealth
from tickhub_runtime.settings import Settings

from .bus_watch import BusWatch, now_ns
from .failover_recorder import Recorder
from .failover_stream import NS, SimStream
from .local_fronts import FRONT_RATE, LocalFront
from .pool import RATE, SEED
from .processes import Service, children, kill_worker

SERVICES: tuple[str, ...] = ("gateway", "health", "failover", "publisher")

FAST: dict[str, str] = {
    # Short thresholds, so a fault is judged and healed within a test's seconds.
    "TICKHUB_HEARTBEAT_TIMEOUT_S": "1.5",
    "TICKHUB_CANARY_TIMEOUT_S": "1.5",
    "TICKHUB_RESTART_COOLDOWN_S": "1",
    "TICKHUB_FAILBACK_HOLD_S": "2",
    "TICKHUB_RESTART_GRACE_S": "1",
    "TICKHUB_RESTART_RESET_S": "5",
    "TICKHUB_STATUS_INTERVAL_S": "0.5",
    "TICKHUB_HEALTH_PUBLISH_S": "1",
    "TICKHUB_STARTUP_GRACE_S": "15",
    "TICKHUB_COMMAND_TIMEOUT_S": "3",
}
"""The settings every fault-injection hub runs with unless told otherwise."""


@dataclass
class Fault:
    """What was done to the hub and when (wall clock ns), for the measurements."""

    kind: str
    source: str
    at_ns: int
    pid: int | None = None


class Hub:
    """nats-server + the four services + a ZeroMQ recorder + a bus watcher.

    ``async with Hub(dir, sources) as hub:`` starts everything and closes it all at
    the end. Nothing here sleeps to wait: waits are on messages or bounded polls.
    """

    def __init__(
        self,
        workdir: Path,
        sources: Sequence[SourceConfig],
        *,
        mode: Literal["hot", "cold"] = "hot",
        env: dict[str, str] | None = None,
        services: Iterable[str] = SERVICES,
        watch_ticks: bool = False,
        fronts: dict[str, LocalFront] | None = None,
    ) -> None:
        self.workdir = workdir
        self.sources = list(sources)
        self.mode = mode
        self.extra_env = dict(env or {})
        self.service_names = list(services)
        self.watch_ticks = watch_ticks
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.recovery_endpoint = f"tcp://127.0.0.1:{free_port()}"
        """The publisher's recovery endpoint (snapshots and gap fills)."""
        self.nats = NatsServer(workdir / "nats")
        self.services: dict[str, Service] = {}
        self.recorder = Recorder(self.endpoint)
        self.watch: BusWatch | None = None
        self.faults: list[Fault] = []
        self.fronts = dict(fronts or {})
        """Source name -> the local CTP front its ctp account logs in to."""
        sims = [s for s in self.sources if s.sim is not None]
        first = sims[0].sim if sims else None
        contracts = sorted({c for s in self.sources for c in s.contracts})
        if first is None and self.fronts:
            # ctp sources on local fronts: the fronts print the sim's stream at CTP's rhythm.
            front = next(iter(self.fronts.values()))
            self.stream = SimStream(contracts, front.seed, FRONT_RATE)
        else:
            self.stream = SimStream(
                contracts,
                first.seed if first else SEED,
                first.ticks_per_second if first else RATE,
            )
        self._worker_pids: set[int] = set()
        self.started_ns = 0

    # --- start and stop ------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
        env.update(FAST)
        env.update(
            TICKHUB_NATS_URL=self.nats.url,
            TICKHUB_DATA_DIR=str(self.workdir / "data"),
            TICKHUB_ZMQ_PUB=self.endpoint,
            TICKHUB_ZMQ_RECOVERY=self.recovery_endpoint,
            TICKHUB_SOURCES=msgspec.json.encode(self.sources).decode(),
            TICKHUB_FAILOVER_MODE=self.mode,
            TICKHUB_LOG_LEVEL="INFO",
        )
        # The run's one compiled zh_CN.GB18030 (tests/integration/conftest.py), so that
        # every hub's gateway does not compile its own.
        if locale_dir := os.environ.get("TICKHUB_CTP_LOCALE_DIR"):
            env["TICKHUB_CTP_LOCALE_DIR"] = locale_dir
        env.update(self.extra_env)
        return env

    @property
    def settings(self) -> Settings:
        return Settings(nats_url=self.nats.url, data_dir=self.workdir / "data", _env_file=None)

    async def start(self) -> Hub:
        self.started_ns = now_ns()
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        for front in self.fronts.values():
            if front.process is None:
                front.start()
        self.nats.start()
        self.watch = await BusWatch(self.settings, ticks=self.watch_ticks).start()
        self.recorder.start()
        env = self.env()
        for name in self.service_names:
            self.services[name] = Service(name, env, self.workdir / "logs" / f"{name}.log").start()
        return self

    async def close(self) -> None:
        """End everything this hub started; safe to call twice and after a failure."""
        with contextlib.suppress(Exception):
            if self.nats.process is not None and self.nats.process.poll() is None:
                self.nats.thaw()
        gateway = self.services.get("gateway")
        if gateway is not None and gateway.running:
            self._worker_pids.update(children(gateway.pid))
        await asyncio.gather(
            *(service.stop() for service in self.services.values()), return_exceptions=True
        )
        pids = self._worker_pids | (self.watch.pids if self.watch else set())
        for pid in pids:
            kill_worker(pid)
        if self.watch is not None:
            await self.watch.close()
        for front in self.fronts.values():
            front.stop()
        self.recorder.stop()
        self.nats.stop()

    async def __aenter__(self) -> Hub:
        try:
            return await self.start()
        except BaseException:
            await self.close()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- waiting ---------------------------------------------------------------------------

    @property
    def bus(self) -> BusWatch:
        assert self.watch is not None
        return self.watch

    def ranked(self) -> list[SourceConfig]:
        return sorted(self.sources, key=lambda s: (s.priority, s.name))

    async def until(self, condition: Callable[[], bool], within: float, what: str) -> None:
        """Poll a condition that no single message answers, up to ``within`` s."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {within} s\n{self.diagnostics()}")
            await asyncio.sleep(0.05)

    def routed_to(self, source: str, contracts: Iterable[str] | None = None) -> bool:
        wanted = list(contracts) if contracts is not None else self.stream.contracts
        routes = self.bus.routing
        return all(c in routes and routes[c].source == source for c in wanted)

    def eligible(self, sources: Sequence[str]) -> bool:
        """Every contract's eligible list is exactly ``sources`` (in that order)."""
        routes = self.bus.routing
        return all(
            c in routes and list(routes[c].eligible) == list(sources) for c in self.stream.contracts
        )

    def flowing_from(self, source: str, since_ns: int, count: int = 3) -> bool:
        """Each contract's last ``count`` ticks at the client came from ``source``."""
        recent = self.recorder.since(since_ns)
        for contract in self.stream.contracts:
            mine = [a for a in recent if a.vt_symbol == contract]
            if len(mine) < count or any(a.source != source for a in mine[-count:]):
                return False
        return True

    def healthy(self, source: str) -> bool:
        health = self.bus.latest_health(source)
        return health is not None and health.state == "HEALTHY"

    async def ready(self, within: float = 60.0, healthy: Iterable[str] | None = None) -> int:
        """Every named source (default: all) HEALTHY, routed to the best of them, its
        ticks reaching the client; the instant it was so (wall clock ns)."""
        names = list(healthy) if healthy is not None else [s.name for s in self.sources]
        best = next(s.name for s in self.ranked() if s.name in names)
        await self.until(
            lambda: all(self.healthy(n) for n in names), within, f"sources {names} HEALTHY"
        )
        await self.until(lambda: self.routed_to(best), within, f"routing to {best}")
        # Hot mode: every healthy source carrying the contracts is eligible, best
        # first (else the first copy of a tick may be one the publisher must refuse).
        order = [s.name for s in self.ranked() if s.name in names] if self.mode == "hot" else [best]
        await self.until(lambda: self.eligible(order), within, f"eligible {order}")
        mark = now_ns()
        await self.until(
            lambda: self.flowing_from(best, mark), within, f"ticks from {best} at the client"
        )
        return now_ns()

    async def serving(self, source: str, within: float = 30.0) -> int:
        """Routing on ``source`` and its ticks reaching the client again; the instant."""
        await self.until(lambda: self.routed_to(source), within, f"routing to {source}")
        mark = now_ns()
        await self.until(
            lambda: self.flowing_from(source, mark), within, f"ticks from {source} at the client"
        )
        return now_ns()

    async def ticks_flow(self, within: float = 30.0, count: int = 5, live_s: float = 1.0) -> int:
        """Every contract gets ``count`` new live ticks at the client (at most ``live_s``
        old on arrival: a burst of ticks buffered during an outage does not count as
        the stream being back); the instant."""
        mark = now_ns()
        limit = round(live_s * NS)

        def flowing() -> bool:
            recent = [a for a in self.recorder.since(mark) if a.arrived_ns - a.exchange_ns <= limit]
            return all(
                sum(1 for a in recent if a.vt_symbol == c) >= count for c in self.stream.contracts
            )

        await self.until(flowing, within, "ticks at the client")
        return now_ns()

    # --- faults ------------------------------------------------------------------------------

    def pid_of(self, source: str) -> int:
        pid = self.bus.worker_pid(source)
        assert pid is not None, f"no worker pid seen for {source}"
        return pid

    def inject(self, kind: str, source: str) -> Fault:
        """SIGKILL (``kill``), SIGSTOP (``hang``) or SIGCONT (``cont``) the worker."""
        pid = self.pid_of(source)
        self._worker_pids.add(pid)
        sig = {"kill": signal.SIGKILL, "hang": signal.SIGSTOP, "cont": signal.SIGCONT}[kind]
        fault = Fault(kind, source, now_ns(), pid)
        os.kill(pid, sig)
        self.faults.append(fault)
        return fault

    def front_fault(self, kind: str, source: str) -> Fault:
        """A fault of the local CTP front ``source`` logs in to (``drop``, ``silence``,
        ``stall``, ``refuse``, ``reject-logins``; ``clear`` ends them)."""
        fault = Fault(f"front-{kind}", source, now_ns(), self.bus.worker_pid(source))
        self.fronts[source].fault(kind)
        self.faults.append(fault)
        return fault

    async def stall(self, source: str) -> Fault:
        """The worker stays connected and beating but prints no tick (Command fault;
        for a ctp source on a local front, the front stalls: CTP itself does that)."""
        if source in self.fronts:
            return self.front_fault("stall", source)
        fault = Fault("stall", source, now_ns(), self.bus.worker_pid(source))
        reply = await self.bus.command(source, Command(action="fault", fault="stall"))
        assert reply.ok, f"stall refused: {reply.error}"
        self.faults.append(fault)
        return fault

    async def detected(self, fault: Fault, within: float = 15.0) -> tuple[float, SourceHealth]:
        """Seconds from the fault to the first UNHEALTHY verdict on its source."""
        seen = await self.bus.health.wait(
            lambda h: h.source == fault.source and h.state == "UNHEALTHY",
            within,
            fault.at_ns,
            f"UNHEALTHY verdict on {fault.source}",
        )
        return (seen.at_ns - fault.at_ns) / NS, seen.value

    async def recovered(self, fault: Fault, within: float = 45.0) -> tuple[RestartEvent, int]:
        """The failed source was hard-restarted (ordered), runs as a new process and is
        HEALTHY again; the restart event and the new pid."""
        order = await self.bus.restarts.wait(
            lambda r: r.source == fault.source and r.action == "ordered",
            within,
            fault.at_ns,
            f"restart ordered for {fault.source}",
        )
        healthy = await self.bus.health.wait(
            lambda h: (
                h.source == fault.source
                and h.state == "HEALTHY"
                and h.pid is not None
                and h.pid != fault.pid
            ),
            within,
            order.at_ns,
            f"{fault.source} HEALTHY again in a new process",
        )
        pid = healthy.value.pid
        assert pid is not None
        self._worker_pids.add(pid)
        return order.value, pid

    # --- reading -----------------------------------------------------------------------------

    def diagnostics(self) -> str:
        """What to print when something fails: the bus's last words and the logs' tails."""
        parts: list[str] = []
        if self.watch is not None:
            parts.append("health: " + json.dumps(
                {s.name: (h.state, h.cause, h.reason) if (h := self.bus.latest_health(s.name))
                 else None for s in self.sources}, ensure_ascii=False))  # fmt: skip
            parts.append(
                "routing: "
                + json.dumps({c: (r.source, r.eligible) for c, r in self.bus.routing.items()})
            )
            history = [
                (round((s.at_ns - self.started_ns) / NS, 3), s.value.vt_symbol, s.value.source,
                 s.value.eligible)
                for s in self.bus.routes.items[-12:]
            ]  # fmt: skip
            parts.append(f"routing changes (s since start, contract, active, eligible): {history}")
            parts.append(f"failovers: {[s.value for s in self.bus.failovers.items[-5:]]}")
            parts.append(f"restarts: {[s.value for s in self.bus.restarts.items[-5:]]}")
        parts.append(f"client got {len(self.recorder)} ticks")
        for name, service in self.services.items():
            state = (
                "running"
                if service.running
                else f"exited {service.process and service.process.returncode}"
            )
            parts.append(f"--- {name} ({state}) ---\n{service.tail(15)}")
        for source, front in self.fronts.items():
            parts.append(f"--- ctp-front of {source} ({front.address}) ---\n{front.tail(10)}")
        return "\n".join(parts)
