"""One source's worker process: ``python -m tickhub_gateway.worker``.

Started by the GatewayManager with its cwd set to ``<data_dir>/workers/<source>/``.
It reads its :class:`SourceConfig` as JSON from stdin (it carries passwords, so it
never travels in argv or the environment) and the rest from ``TICKHUB_*`` settings
(:mod:`tickhub_gateway.protocol`).

vnpy fixes its ``TRADER_DIR`` from the cwd at import time, and only uses the cwd if
``.vntrader`` already exists there; so this module creates it before anything imports
vnpy, and keeps every vnpy import out of its own top level.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
from pathlib import Path

import msgspec

from tickhub_contracts.messages import SourceConfig
from tickhub_runtime import bus, service
from tickhub_runtime.settings import Settings

from ..protocol import BAD_CONFIG_EXIT_CODE, PARENT_PID_ENV, read_config

_PR_SET_PDEATHSIG = 1


def check_ctp_environment(config: SourceConfig) -> str:
    """For a ctp source: load vnpy_ctp and check the locale and which market-data
    library the loader picked (:mod:`tickhub_gateway.sources.ctp.environment`); ""
    for other types.

    Done before anything talks to a front, so a wrong environment is one line and exit
    code 2, never a C++ abort in the middle of a login.
    """
    if config.gateway_type != "ctp":
        return ""
    import vnpy_ctp.api  # noqa: F401  (loads libthostmduserapi_se.so by the loader's rules)

    from ..sources.ctp.environment import check_worker

    return check_worker(config)


def die_with_parent() -> None:
    """Get SIGTERM when the manager dies, however it dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    expected = os.environ.get(PARENT_PID_ENV)
    if expected and os.getppid() != int(expected):
        # The manager was already gone before prctl: nobody will ever stop us.
        os.kill(os.getpid(), signal.SIGTERM)


class _DefaultSource(logging.Filter):
    """Stamps this worker's source on records that name none (vnpy's, the runtime's)."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "source", None) is None:
            record.source = self.source
        return True


def main() -> None:
    try:
        config = read_config(sys.stdin.buffer.read())
    except (ValueError, msgspec.ValidationError) as error:
        print(f"tickhub worker: {error}", file=sys.stderr)
        raise SystemExit(BAD_CONFIG_EXIT_CODE) from None
    die_with_parent()
    Path(".vntrader").mkdir(exist_ok=True)
    try:
        md_library = check_ctp_environment(config)
    except OSError as error:
        print(f"tickhub worker {config.name}: {error}", file=sys.stderr)
        raise SystemExit(BAD_CONFIG_EXIT_CODE) from None
    settings = Settings()

    async def serve(settings: Settings, stop: asyncio.Event) -> None:
        from .host import WorkerHost  # imports vnpy: only now that .vntrader exists

        loop = asyncio.get_running_loop()
        nc = await bus.open_unless_stopped(
            settings, "gateway", stop, name=f"tickhub-gateway-{config.name}"
        )
        if nc is None:
            return
        for handler in logging.getLogger().handlers:
            handler.addFilter(_DefaultSource(config.name))
        if md_library:
            logging.getLogger("tickhub.gateway.worker").info(
                "CTP market-data library: %s", md_library
            )
        await WorkerHost(config, settings, nc, loop).run(stop)

    service.run("gateway", serve, settings)
