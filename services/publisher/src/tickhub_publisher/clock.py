"""The future-tick limit: the publisher's clock plus a tolerance, kept current off the
tick path (reading the clock per tick would cost more than the check itself)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

from tickhub_contracts.timezone import CHINA_TZ

REFRESH_S = 0.1
"""How often the limit follows the clock: a tick is judged against a clock at most
this old, far inside any sensible tolerance."""


class FutureLimit:
    """``not_after``: a tick dated after it is from the future (clock + ``tolerance_s``).

    :meth:`start` keeps it current on the running loop until :meth:`stop`; without a
    loop (a unit test) :meth:`update` sets it.
    """

    def __init__(self, tolerance_s: float, clock: Callable[[], float] = time.time) -> None:
        self.tolerance_s = tolerance_s
        self.clock = clock
        self.not_after = dt.datetime.max.replace(tzinfo=CHINA_TZ)
        self._timer: asyncio.TimerHandle | None = None
        self.update()

    def update(self) -> None:
        # In the ticks' own tzinfo (in_zone): a datetime compares with one of the same
        # tzinfo without asking either for its offset, which is most of the cost.
        tz = self.not_after.tzinfo
        self.not_after = dt.datetime.fromtimestamp(self.clock() + self.tolerance_s, tz)

    def in_zone(self, tz: dt.tzinfo | None) -> dt.datetime:
        """``not_after`` in ``tz`` from now on. The decoder gives every +08:00 tick one
        shared tzinfo, so this runs once, not per tick."""
        self.not_after = self.not_after.astimezone(tz)
        return self.not_after

    def start(self) -> None:
        self.stop()
        self._timer = asyncio.get_running_loop().call_later(REFRESH_S, self._follow)

    def _follow(self) -> None:
        self.update()
        self._timer = asyncio.get_running_loop().call_later(REFRESH_S, self._follow)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
