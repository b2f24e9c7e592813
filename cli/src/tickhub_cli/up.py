"""``tickhub up``: the whole hub on one machine, from one command.

Order matters: check everything that can be checked before starting anything (so a
mistake costs one line, not a half-started hub), then the bus, then the database
(the embedded one when TICKHUB_DATABASE_URL is unset) and its migrations, then the
services; on stop the services first (they drain to the bus), then the database, the
bus last.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib.util
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tickhub_accounts.demo import CTP_DEMO_BROKER, CTP_DEMO_NAMES, CTP_DEMO_USER, ctp_demo_fronts
from tickhub_accounts.secretfiles import api_token, ctp_front_password, login_url
from tickhub_runtime import logs
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from . import ports
from .natsserver import NatsServer, NatsServerError
from .postgres import EmbeddedPostgres, PostgresError, run_prestart
from .supervisor import Backoff, ChildSpec, Supervisor

SERVICES: tuple[str, ...] = ("gateway", "health", "failover", "publisher", "api")
"""Every service ``tickhub up`` runs, each as ``python -m tickhub_<name>``."""

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
FORCE_AFTER_S = 1.0
"""A second stop signal at least this long after the first kills without grace."""

log = get_logger("tickhub.up")


class UpError(Exception):
    """Why ``tickhub up`` cannot start: one line, and the exit code to end with."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def module(service: str) -> str:
    return f"tickhub_{service}"


def service_argv(service: str) -> list[str]:
    return [sys.executable, "-m", module(service)]


def missing(services: tuple[str, ...] | list[str]) -> list[str]:
    """Services whose ``python -m`` entry point is not installed."""
    return [s for s in services if importlib.util.find_spec(f"{module(s)}.__main__") is None]


def preflight(
    settings: Settings, services: list[str], bundled_nats: bool, *, ctp_fronts: bool = False
) -> None:
    """Raise UpError (exit 2) when a port we will bind is already taken."""
    try:
        wanted = ports.ports_for(settings, services, bundled_nats)
        if ctp_fronts:
            for port, control in ctp_demo_fronts(settings):
                wanted += [
                    ports.Port("127.0.0.1", port, "TICKHUB_CTP_DEMO_PORT"),
                    ports.Port("127.0.0.1", control, "TICKHUB_CTP_DEMO_PORT"),
                ]
        problem = ports.problem(wanted)
    except ports.EndpointError as error:
        raise UpError(str(error), 2) from None
    if problem:
        raise UpError(problem, 2)


@dataclass
class DataDirLock:
    """One ``tickhub up`` per data dir: two would run two workers in one CTP flow dir."""

    path: Path
    _file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+")
        except OSError as error:
            reason = error.strerror or str(error)
            raise UpError(f"cannot use data dir {self.path.parent}: {reason}", 2) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise UpError(
                f"data dir {self.path.parent} is in use by another `tickhub up` (pid {holder})",
                2,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            # The file stays: unlinking it would race a second `up` that already opened it.
            self._file.close()
            self._file = None


def banner(
    settings: Settings,
    nats_url: str,
    nats: NatsServer | None,
    database: str = "",
    login: str = "",
    ctp_fronts: list[tuple[int, int]] | None = None,
) -> str:
    api_host = settings.api_host
    nats_flag = "" if nats_url == DEFAULT_NATS_URL else f" --nats-url {nats_url}"
    nats_line = f"  NATS     {nats_url}"
    if nats is not None:
        nats_line += f"  (bundled, JetStream; files in {nats.store_dir})"
    lines = [
        f"tickhub is up (data dir {settings.data_dir})",
        nats_line,
        f"  ZeroMQ   {settings.zmq_pub}  (ticks: [vt_symbol, msgpack], see docs/zmq.md)",
        *(
            [f"  recovery {settings.zmq_recovery}  (snapshots and gap fills, docs/clients.md)"]
            if settings.zmq_recovery
            else []
        ),
        f"  API      http://{api_host}:{settings.api_port}  (OpenAPI at /docs)",
        *([f"  database {database}"] if database else []),
        *([f"  login    {login}"] if login else []),
        *(
            [
                "  CTP      local fronts "
                + ", ".join(f"tcp://127.0.0.1:{port}" for port, _ in ctp_fronts)
                + " (control ports "
                + ", ".join(str(control) for _, control in ctp_fronts)
                + "; docs/ctp-front.md)"
            ]
            if ctp_fronts
            else []
        ),
        "  watch    tickhub tail [SYMBOL ...]",
        f"           tickhub status{nats_flag}",
        f"           nats sub 'tickhub.>' --server {nats_url}",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def ctp_front_specs(settings: Settings, env: dict[str, str]) -> list[ChildSpec]:
    """The two local CTP fronts of ``--demo ctp``: the same feed on two ports, so the
    accounts ctp-a and ctp-b race as two real accounts do. The password travels in
    the environment, never on a command line."""
    front_env = {**env, "TICKHUB_CTP_FRONT_PASSWORD": ctp_front_password(settings)}
    return [
        ChildSpec(
            f"ctp-front-{name.removeprefix('ctp-')}",
            [
                sys.executable,
                "-m",
                "tickhub_cli",
                "ctp-front",
                "--port",
                str(port),
                "--control-port",
                str(control),
                "--broker",
                CTP_DEMO_BROKER,
                "--user",
                CTP_DEMO_USER,
            ],
            front_env,
        )
        for name, (port, control) in zip(CTP_DEMO_NAMES, ctp_demo_fronts(settings), strict=True)
    ]


def run(settings: Settings, nats_url: str | None = None, demo: str = "sim") -> int:
    """Start the hub and block until Ctrl-C / SIGTERM; the exit code to end with."""
    if nats_url:
        settings = settings.model_copy(update={"nats_url": nats_url})
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    logs.configure("up", settings.log_level)
    lock = DataDirLock(settings.data_dir / "up.lock")
    try:
        absent = missing(SERVICES)
        if absent:
            names = ", ".join(f"{s} ({module(s)}.__main__)" for s in absent)
            raise UpError(f"not installed: {names}; run `make setup`")
        lock.acquire()
        preflight(
            settings,
            list(SERVICES),
            bundled_nats=settings.nats_url is None,
            ctp_fronts=demo == "ctp",
        )
        return asyncio.run(_up(settings, demo))
    except UpError as error:
        print(f"tickhub: {error}", file=sys.stderr)
        return error.code
    finally:
        lock.release()


async def _up(settings: Settings, demo: str) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    supervisor: Supervisor | None = None
    first_signal_at: float | None = None

    def on_signal() -> None:
        nonlocal first_signal_at
        now = loop.time()
        if first_signal_at is None:
            first_signal_at = now
            log.info("stopping everything (signal again to kill at once)")
            stop.set()
        # One Ctrl-C often arrives twice: the terminal signals the whole foreground
        # group and a wrapper (`uv run`, `timeout`) forwards it too. Only a signal
        # sent deliberately later means "kill now".
        elif now - first_signal_at > FORCE_AFTER_S and supervisor is not None:
            log.warning("second signal: killing everything now")
            supervisor.force()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal)

    nats: NatsServer | None = None
    if settings.nats_url is None:
        nats = NatsServer(settings.data_dir / "nats", port=settings.nats_port, die_with_parent=True)
        try:
            nats.start()
        except NatsServerError as error:
            raise UpError(str(error), 2 if "in use" in str(error) else 1) from None
        nats_url = nats.url
        log.info("nats-server started (pid %s) on %s", _pid(nats), nats_url)
    else:
        nats_url = settings.nats_url
        if not await _reachable(nats_url):
            log.warning("NATS at %s does not answer yet; the services keep trying", nats_url)

    env = dict(os.environ)
    env.update(
        TICKHUB_NATS_URL=nats_url,
        TICKHUB_DATA_DIR=str(settings.data_dir),
        PYTHONUNBUFFERED="1",
    )
    postgres: EmbeddedPostgres | None = None
    try:
        if settings.database_url is None:
            # Started from this (the main) thread, as the bundled NATS: its
            # die-with-parent signal is tied to the thread that forked it.
            postgres = EmbeddedPostgres(
                settings.data_dir, settings.postgres_port, die_with_parent=True
            ).start()
            env["TICKHUB_DATABASE_URL"] = postgres.url
            log.info("embedded PostgreSQL started on %s", postgres.display_url)
        # Wait for the database, migrate, and seed the demo accounts into a new one.
        await asyncio.to_thread(run_prestart, env, demo=demo)
    except PostgresError as error:
        if postgres is not None:
            postgres.stop()
        if nats is not None:
            nats.stop()
        raise UpError(str(error), 2 if "in use" in str(error) else 1) from None
    database = postgres.display_url if postgres is not None else "TICKHUB_DATABASE_URL"
    login = login_url(settings, api_token(settings))
    specs = [ChildSpec(name, service_argv(name), env) for name in SERVICES]
    if demo == "ctp":
        specs = ctp_front_specs(settings, env) + specs
    supervisor = Supervisor(
        specs,
        stop_grace_s=settings.stop_grace_s,
        # The bus and the database are ours, not a dead service's orphans.
        keep_pids=lambda: _kept(nats, postgres),
    )
    watch: asyncio.Task[None] | None = None
    try:
        supervisor.start()
        if nats is not None:
            watch = asyncio.create_task(_watch_nats(nats, stop))
        fronts = ctp_demo_fronts(settings) if demo == "ctp" else None
        print(banner(settings, nats_url, nats, database, login, fronts), flush=True)
        await stop.wait()
    finally:
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        await supervisor.stop()
        if postgres is not None:
            postgres.stop()
            log.info("embedded PostgreSQL stopped")
        if nats is not None:
            nats.stop()
            log.info("nats-server stopped")
    logging.getLogger("tickhub.up").info("all stopped")
    return 0


def _kept(nats: NatsServer | None, postgres: EmbeddedPostgres | None) -> set[int]:
    kept = {pid} if (pid := _pid(nats)) else set()
    if postgres is not None and postgres.process is not None and postgres.process.poll() is None:
        kept.add(postgres.process.pid)
    return kept


def _pid(nats: NatsServer | None) -> int | None:
    if nats is None or nats.process is None or nats.process.poll() is not None:
        return None
    return nats.process.pid


async def _watch_nats(nats: NatsServer, stop: asyncio.Event) -> None:
    """Restart the bundled server if it dies: every service waits on it."""
    backoff = Backoff()
    while not stop.is_set():
        await asyncio.sleep(0.5)
        process = nats.process
        if process is None or process.poll() is None:
            continue
        log.error("nats-server exited unexpectedly (exit code %s)", process.returncode)
        while not stop.is_set():
            delay = backoff.next_delay(0.0)
            log.warning("restarting nats-server in %.1f s", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return
            try:
                # Blocking, but the server starts in milliseconds and must be forked
                # from this (the main) thread for its die-with-parent to hold.
                nats.restart()
            except NatsServerError as error:
                log.error("nats-server did not restart: %s", error)
                continue
            log.info("nats-server restarted (pid %s)", _pid(nats))
            break


async def _reachable(url: str) -> bool:
    try:
        host, port = ports.nats_url_port(url)
    except ports.EndpointError:
        return False
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
