"""Subscriptions go to the md front at a bounded pace, off CTP's and the worker's threads.

A front disconnects a client that floods it with subscriptions (vnpy_ctp users report
4097, a read failure, after subscribing thousands at once), and every login
subscribes everything again. :class:`Pacer` queues the symbols and sends them from its
own thread, at most ``per_second`` in any second (a token bucket refilled every
:data:`STEP_S`), logging the progress of long work.

:func:`allowance` is the pure part: how many may go now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from tickhub_runtime.logs import ContextAdapter

STEP_S = 0.05
"""How often the pacer wakes while work is queued."""

PROGRESS_EVERY_S = 5.0
"""A long subscription logs how far it got this often."""


def allowance(per_second: int, elapsed_s: float, sent_in_window: int) -> int:
    """How many may be sent now when ``sent_in_window`` went out in the last
    ``elapsed_s`` (≤ 1 s) of the current one-second window: never more than
    ``per_second`` in a window, spread over it rather than all at its start."""
    spread = per_second * min(1.0, max(0.0, elapsed_s) + STEP_S)
    return max(0, min(per_second, int(spread)) - sent_in_window)


class Pacer:
    """Sends queued symbols with ``send`` at most ``per_second`` per second."""

    def __init__(
        self,
        send: Callable[[str], None],
        per_second: int,
        log: ContextAdapter,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second < 1:
            raise ValueError(f"subscribe_per_s must be at least 1, not {per_second}")
        self._send = send
        self.per_second = per_second
        self._log = log
        self._clock = clock
        self._waiting: dict[str, None] = {}
        """Insertion-ordered set: first asked, first sent; a removal is O(1)."""
        self._cond = threading.Condition()
        self._closed = False
        self.sent = 0
        self._thread: threading.Thread | None = None

    def put(self, symbols: Iterable[str]) -> None:
        with self._cond:
            before = len(self._waiting)
            self._waiting.update(dict.fromkeys(symbols))
            if len(self._waiting) == before:
                return
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="ctp-subscribe", daemon=True)
                self._thread.start()
            self._cond.notify()

    def discard(self, symbol: str) -> None:
        with self._cond:
            self._waiting.pop(symbol, None)

    def clear(self) -> None:
        """Forget what waits (the front went away: the next login subscribes all)."""
        with self._cond:
            self._waiting.clear()

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._waiting.clear()
            self._cond.notify()

    def _run(self) -> None:
        window_start = self._clock()
        in_window = 0
        started: float | None = None
        done = 0
        last_report = 0.0
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    if started is not None and done:
                        took = self._clock() - started
                        self._log.info("subscribed %d contracts in %.1f s", done, took)
                        started, done = None, 0
                    self._cond.wait()
                if self._closed:
                    return
                now = self._clock()
                if now - window_start >= 1.0:
                    window_start, in_window = now, 0
                count = allowance(self.per_second, now - window_start, in_window)
                batch = list(self._waiting)[:count] if count else []
                for symbol in batch:
                    del self._waiting[symbol]
                left = len(self._waiting)
            if started is None:
                started = last_report = self._clock()
                if left > self.per_second:
                    self._log.info(
                        "subscribing %d contracts at %d/s (about %.0f s)",
                        left + len(batch),
                        self.per_second,
                        (left + len(batch)) / self.per_second,
                    )
            for symbol in batch:
                self._send(symbol)
            in_window += len(batch)
            done += len(batch)
            self.sent += len(batch)
            now = self._clock()
            if left and now - last_report >= PROGRESS_EVERY_S:
                last_report = now
                self._log.info("subscribing: %d sent, %d to go", done, left)
            with self._cond:
                if self._waiting and not self._closed:
                    self._cond.wait(STEP_S)
