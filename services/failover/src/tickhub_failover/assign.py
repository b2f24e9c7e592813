"""Cold mode: tell every source which contracts it must hold (``Command(action="assign")``).

An assignment is declarative (the complete set besides the canary), so it is sent
whenever it changes and again every ``period_s`` regardless: a restarted manager or
a new worker process converges within one period, and a lost request is mended by
the next. Requests go out concurrently, one per source, off the routing path; the
newest contracts are sent first to the sources that gain them, so a switch makes
the new active subscribe no later than the old one unsubscribes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from nats.aio.client import Client

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, Reply
from tickhub_runtime.logs import get_logger

log = get_logger("tickhub.failover.assign")

BY = "failover"


class Assigner:
    def __init__(self, nc: Client, *, timeout_s: float, period_s: float = 3.0) -> None:
        self.nc = nc
        self.timeout_s = timeout_s
        self.period_s = period_s
        self._wanted: dict[str, tuple[str, ...]] | None = None
        self._acked: dict[str, tuple[str, ...]] = {}
        """What each source's manager confirmed last."""
        self._failing: set[str] = set()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def want(self, assignments: Mapping[str, list[str]]) -> None:
        """source -> every contract it is active for (empty: none)."""
        wanted = {source: tuple(sorted(set(vts))) for source, vts in assignments.items()}
        if wanted != self._wanted:
            self._wanted = wanted
            self._changed.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="failover-assign")

    async def close(self) -> None:
        self._closing = True
        self._changed.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=self.timeout_s)

    def _stopping(self) -> bool:
        # A method, not the attribute: close() sets it while the loop awaits.
        return self._closing

    async def _run(self) -> None:
        while not self._stopping():
            periodic = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.period_s)
                periodic = False
            self._changed.clear()
            if self._stopping():
                return
            wanted = self._wanted
            if wanted is None:
                continue
            due = {
                source: vts
                for source, vts in wanted.items()
                if periodic or self._acked.get(source) != vts
            }
            if not due:
                continue
            # Gaining sources first: in a switch the new active is asked to subscribe
            # before the old one is asked to let go.
            gaining = {s: v for s, v in due.items() if set(v) - set(self._acked.get(s, ()))}
            rest = {s: v for s, v in due.items() if s not in gaining}
            for batch in (gaining, rest):
                if batch:
                    await asyncio.gather(*(self._send(s, v) for s, v in sorted(batch.items())))

    async def _send(self, source: str, vt_symbols: tuple[str, ...]) -> None:
        command = Command(action="assign", by=BY, vt_symbols=list(vt_symbols))
        try:
            msg = await self.nc.request(
                subjects.control(source), codec.encode(command), timeout=self.timeout_s
            )
            reply = codec.decode(msg.data, Reply)
            error = None if reply.ok else (reply.error or "refused")
        except asyncio.CancelledError:
            raise
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}".rstrip(": ")
        if error is None:
            if source in self._failing or self._acked.get(source) != vt_symbols:
                log.info(
                    "assigned %d contract(s) to %s: %s",
                    len(vt_symbols),
                    source,
                    ", ".join(vt_symbols) or "none",
                    extra={"source": source},
                )
            self._failing.discard(source)
            self._acked[source] = vt_symbols
            return
        self._acked.pop(source, None)
        if source not in self._failing:
            self._failing.add(source)
            log.warning(
                "assign to %s not confirmed (%s); repeating every %g s",
                source,
                error,
                self.period_s,
                extra={"source": source},
            )
