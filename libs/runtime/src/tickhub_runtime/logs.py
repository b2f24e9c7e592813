"""Structured logging: every line names its service, source and contract.

Use :func:`get_logger` with the source (and contract) a component works for; the
fields land in every line as ``source=... symbol=...`` and, through
:class:`NatsLogHandler`, in the :class:`LogRecord` published on
``tickhub.log.<service>.<source>`` for the dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, cast

from nats.aio.client import Client

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import LogLevel, LogRecord


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """Adds ``source`` and ``symbol`` to every record; a call may override either."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = dict(cast(Mapping[str, Any], self.extra or {}))
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs


def get_logger(name: str, source: str | None = None, symbol: str | None = None) -> ContextAdapter:
    return ContextAdapter(logging.getLogger(name), {"source": source, "symbol": symbol})


class LineFormatter(logging.Formatter):
    """``2026-11-24T09:00:00.123Z INFO  gateway source=sim-a symbol=- message``"""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        source = getattr(record, "source", None) or "-"
        symbol = getattr(record, "symbol", None) or "-"
        line = (
            f"{at}Z {record.levelname:<7} {self.service} source={source} symbol={symbol} "
            f"{record.getMessage()}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as structured lines."""
    root = logging.getLogger()
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(service))
    root.addHandler(handler)
    root.setLevel(level)
    # nats-py logs each reconnect attempt at ERROR with a traceback; our callbacks say it shorter.
    logging.getLogger("nats").setLevel(logging.CRITICAL)


_LEVELS: dict[int, LogLevel] = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


class NatsLogHandler(logging.Handler):
    """Publishes log records on NATS. Safe from any thread (vnpy logs from its own).

    Records of the NATS client itself are skipped: publishing them could loop.
    """

    def __init__(
        self,
        nc: Client,
        service: str,
        loop: asyncio.AbstractEventLoop,
        level: int = logging.INFO,
    ) -> None:
        super().__init__(level)
        self.nc = nc
        self.service = service
        self.loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("nats", "tickhub.bus")) or self.nc.is_closed:
            return
        source = getattr(record, "source", None)
        message = LogRecord(
            at=datetime.fromtimestamp(record.created, UTC),
            level=_LEVELS.get(record.levelno, "INFO"),
            service=self.service,
            source=source,
            symbol=getattr(record, "symbol", None),
            logger=record.name,
            message=record.getMessage(),
        )
        subject = subjects.log(self.service, source or subjects.NO_SOURCE)
        payload = codec.encode(message)
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._publish(subject, payload)
        else:
            # A closed loop (shutdown) raises RuntimeError: the line is on stderr anyway.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._publish, subject, payload)

    def _publish(self, subject: str, payload: bytes) -> None:
        if not self.nc.is_closed:
            self.loop.create_task(self.nc.publish(subject, payload))
