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
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
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


def few(items: Iterable[str], shown: int = 5) -> str:
    """A list for a log line, sorted and cut: a universe change can move thousands of
    contracts at once (``rb2605.SHFE, rb2610.SHFE and 3 more``)."""
    listed = sorted(items)
    if len(listed) <= shown:
        return ", ".join(listed) or "nothing"
    return f"{', '.join(listed[:shown])} and {len(listed) - shown} more"


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


class RateLimitedLog:
    """Lines about a flood (bad input, a failing callback), at most one per kind per
    ``interval_s``.

    A service flooded with garbage must not flood its log in turn: every line also
    goes out on NATS (:class:`NatsLogHandler`), so an unbounded warning per bad
    message would double the flood. The first line of a kind goes out at once (the
    operator learns of the problem without delay); later ones at most once per
    interval, each saying how many similar lines it stands for. What was held back
    and never followed by another line is told by :meth:`report_held` (at close).
    """

    def __init__(
        self,
        log: logging.LoggerAdapter[logging.Logger] | logging.Logger,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        level: int = logging.WARNING,
    ) -> None:
        self.log = log
        self.interval_s = interval_s
        self.clock = clock
        self.level = level
        # kind -> (when the last line went out, how many were held back since)
        self._state: dict[str, tuple[float, int]] = {}

    def warning(
        self,
        kind: str,
        msg: str,
        *args: Any,
        exc_info: bool | BaseException = False,
        **extra: Any,
    ) -> bool:
        """Log ``msg`` (at ``level``) unless a line of this ``kind`` went out less than
        ``interval_s`` ago. Returns whether it logged. ``kind`` should come from a
        small fixed set (never from input), so this table stays small; ``extra``
        lands on the record (``source=``, ``symbol=``)."""
        now = self.clock()
        last, held = self._state.get(kind, (float("-inf"), 0))
        if now - last < self.interval_s:
            self._state[kind] = (last, held + 1)
            return False
        self._state[kind] = (now, 0)
        if held:
            msg += f" (and {held} more like it in the last {now - last:.0f} s)"
        self.log.log(self.level, msg, *args, exc_info=exc_info, extra=extra)
        return True

    def held(self) -> dict[str, int]:
        """kind -> lines held back since the last line of that kind went out."""
        return {kind: count for kind, (_, count) in self._state.items() if count}

    def report_held(self, what: str) -> None:
        """One line per kind whose held-back lines no later line told of (say why
        they end: a subscription closing), so no count is lost silently."""
        now = self.clock()
        for kind, (last, held) in sorted(self._state.items()):
            if held:
                self.log.log(
                    self.level,
                    "%s: %d more %s line(s) in the last %.0f s were not logged",
                    what,
                    held,
                    kind,
                    now - last,
                )
                self._state[kind] = (last, 0)
