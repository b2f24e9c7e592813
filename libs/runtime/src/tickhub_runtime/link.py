"""Whether this process hears the bus right now, proven by round trips.

A service that judges others by their silence (no heartbeat, no canary tick) must
first know that it can hear them: when its own link to NATS is gone, or half-open
(a frozen server: the socket stays up, nothing arrives), every source falls silent
at once and nothing about them is learnt. nats-py only notices a half-open link
after its missed pings (about 3 s with :mod:`.bus`'s settings), longer than a
heartbeat timeout; so this watch sends its own PING every ``interval_s`` and calls
the link blind as soon as no PONG came back for ``stale_s``.

Use: judge only while :meth:`LinkWatch.hearing` is true; when
:meth:`LinkWatch.take_regained` says the link came back, forgive the silence of
the blind spell (count it again from now).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from nats.aio.client import Client

log = logging.getLogger("tickhub.link")


class LinkWatch:
    def __init__(
        self,
        nc: Client,
        *,
        interval_s: float = 0.2,
        stale_s: float = 0.6,
        timeout_s: float = 1.0,
    ) -> None:
        self.nc = nc
        self.interval_s = interval_s
        self.stale_s = stale_s
        self.timeout_s = timeout_s
        self.ok_at = time.monotonic()
        """Monotonic time a PING was sent that got its PONG (the link was up then)."""
        self._reconnects = nc.stats["reconnects"]
        self._blind = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="link-watch")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=self.timeout_s)

    def hearing(self, now: float | None = None) -> bool:
        """True when the link was proven within ``stale_s`` and no reconnect happened
        since it was (a reconnect means messages were lost in between)."""
        now = time.monotonic() if now is None else now
        reconnects = self.nc.stats["reconnects"]
        if reconnects != self._reconnects:
            self._reconnects = reconnects
            self._blind = True
            return False
        ok = self.nc.is_connected and now - self.ok_at <= self.stale_s
        if not ok and not self._blind:
            self._blind = True
            log.warning(
                "cannot hear the bus (no answer for %.1f s): judging paused", now - self.ok_at
            )
        return ok

    def take_regained(self) -> bool:
        """True once after a blind spell, when the link is heard again."""
        hearing = self.hearing()  # first: it is what notices a reconnect
        if self._blind and hearing:
            self._blind = False
            log.info("hearing the bus again: silence while cut off is forgiven")
            return True
        return False

    async def _run(self) -> None:
        while True:
            sent = time.monotonic()
            if self.nc.is_connected:
                with contextlib.suppress(Exception):
                    # nats-py annotates an int; it hands the value to asyncio.wait_for.
                    await self.nc.flush(timeout=self.timeout_s)  # type: ignore[arg-type]
                    self.ok_at = sent
            await asyncio.sleep(self.interval_s)
