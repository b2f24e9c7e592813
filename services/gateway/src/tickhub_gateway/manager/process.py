"""Starting and ending one worker OS process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from tickhub_contracts.messages import SourceConfig
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from ..protocol import PARENT_PID_ENV, WORKER_MODULE, WORKER_SETTINGS, encode_config
from ..sources.ctp import environment as ctp_environment

log = get_logger("tickhub.gateway.manager")


def worker_dir(settings: Settings, source: str) -> Path:
    return settings.data_dir.resolve() / "workers" / source


def ctp_locale_dir(settings: Settings) -> Path:
    return (settings.ctp_locale_dir or settings.data_dir / "locale").resolve()


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    values = settings.model_dump(mode="json", include=set(WORKER_SETTINGS))
    values["nats_url"] = settings.resolved_nats_url
    values["data_dir"] = str(settings.data_dir.resolve())
    # The holidays file is read here, once per worker: the worker's cwd is its own dir,
    # where a relative path would not lead. Only the configured dates travel: the
    # worker adds the built-in calendar's itself (Settings.all_holidays).
    try:
        holidays = settings.configured_holidays()
    except (OSError, ValueError) as error:
        log.warning("holidays file not read (%s); a sim uses TICKHUB_HOLIDAYS only", error)
        holidays = frozenset(settings.holidays)
    values["holidays"] = [day.isoformat() for day in sorted(holidays)]
    for name, value in values.items():
        if value is not None:
            env[f"TICKHUB_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    env[PARENT_PID_ENV] = str(os.getpid())
    return env


async def spawn(config: SourceConfig, settings: Settings) -> asyncio.subprocess.Process:
    """Start a worker in its own dir and hand it its config on stdin."""
    cwd = worker_dir(settings, config.name)
    cwd.mkdir(parents=True, exist_ok=True)
    env = worker_env(settings)
    if config.gateway_type == "ctp":
        # The C++ side reads these only at process start. The first ctp worker may
        # compile the locale (seconds): off the event loop. CtpEnvironmentError is an
        # OSError, which the manager reports as "could not start the worker: ...".
        env.update(
            await asyncio.to_thread(
                ctp_environment.worker_env, config, env, ctp_locale_dir(settings)
            )
        )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        WORKER_MODULE,
        stdin=asyncio.subprocess.PIPE,
        # Its stdout too goes to our stderr: CTP's library prints there, and our
        # stdout is not a log stream.
        stdout=2,
        stderr=None,
        cwd=cwd,
        env=env,
        # Its own session: a Ctrl-C in the terminal reaches the manager, which then
        # stops the workers in order, instead of everyone at once.
        start_new_session=True,
    )
    assert process.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        process.stdin.write(encode_config(config))
        await process.stdin.drain()
    process.stdin.close()
    return process


def send(process: asyncio.subprocess.Process, sig: signal.Signals) -> bool:
    """Signal the worker if it still exists; False when it is already gone."""
    if process.returncode is not None:
        return False
    try:
        os.kill(process.pid, sig)
    except ProcessLookupError:
        return False
    return True


async def terminate(process: asyncio.subprocess.Process, grace: float) -> tuple[int, bool]:
    """SIGTERM, SIGKILL after ``grace`` s; returns (returncode, killed)."""
    if send(process, signal.SIGTERM):
        # A worker frozen by the hang fault cannot act on SIGTERM until it runs again.
        send(process, signal.SIGCONT)
    try:
        return await asyncio.wait_for(process.wait(), grace), False
    except TimeoutError:
        send(process, signal.SIGKILL)
        return await process.wait(), True
