"""Log lines about bad input, at most one per kind per interval.

A publisher flooded with garbage must not flood its log (which itself goes out on
NATS) in turn; each line says how many similar ones it stands for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any


class RateLimitedLog:
    def __init__(
        self,
        log: logging.LoggerAdapter[logging.Logger] | logging.Logger,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.interval_s = interval_s
        self.clock = clock
        # kind -> (when the last line went out, how many were held back since)
        self._state: dict[str, tuple[float, int]] = {}

    def warning(
        self, kind: str, msg: str, *args: Any, exc_info: bool = False, **extra: Any
    ) -> bool:
        """Log ``msg`` unless a line of this ``kind`` went out less than
        ``interval_s`` ago. Returns whether it logged. ``kind`` should come from a
        small fixed set (never from input), so this table stays small."""
        now = self.clock()
        last, held = self._state.get(kind, (float("-inf"), 0))
        if now - last < self.interval_s:
            self._state[kind] = (last, held + 1)
            return False
        self._state[kind] = (now, 0)
        if held:
            msg += f" (and {held} more like it in the last {now - last:.0f} s)"
        self.log.warning(msg, *args, exc_info=exc_info, extra=extra)
        return True
