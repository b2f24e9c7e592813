"""The routing changes the publisher follows, logged once per burst: a full re-read of
the routing bucket can touch thousands of contracts at once, so the lines group the
contracts by what changed for them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tickhub_runtime.logs import get_logger

from .routing import Eligible

log = get_logger("tickhub_publisher.bridge")

LOG_SHOWN = 5
"""Contracts named in one routing log line; the rest are counted."""

Move = tuple[tuple[str, ...], tuple[str, ...]]
"""(eligible before, eligible now) of one contract, best first; () = not routed."""


class MoveLog:
    """Collects the moves of one loop turn and logs them, grouped, at its end."""

    def __init__(self, table: Mapping[str, Eligible]) -> None:
        self.table = table
        """The bridge's routing table, read for each line's active source and mode."""
        self._moves: dict[str, Move] = {}
        self._scheduled = False

    def note(self, vt_symbol: str, old: Eligible | None, new: Eligible | None) -> None:
        before = old.order if old is not None else ()
        previous = self._moves.get(vt_symbol)
        if previous is not None:
            before = previous[0]
        self._moves[vt_symbol] = (before, new.order if new is not None else ())
        if not self._scheduled:
            self._scheduled = True
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop (a unit test): log now
                self.flush()

    def flush(self) -> None:
        moves, self._moves = self._moves, {}
        self._scheduled = False
        grouped: dict[Move, list[str]] = {}
        for vt_symbol, move in sorted(moves.items()):
            if move[0] != move[1]:
                grouped.setdefault(move, []).append(vt_symbol)
        for (before, now), vt_symbols in grouped.items():
            shown = ", ".join(vt_symbols[:LOG_SHOWN])
            if len(vt_symbols) > LOG_SHOWN:
                shown += f" and {len(vt_symbols) - LOG_SHOWN} more"
            entry = self.table.get(vt_symbols[0])
            how = f" (active {entry.active}, {entry.mode}" if entry is not None else ""
            if entry is not None:
                how += ", degraded)" if entry.degraded else ")"
            log.info(
                "eligible now %s for %d contract(s)%s, was %s: %s",
                ",".join(now) or "nothing",
                len(vt_symbols),
                how,
                ",".join(before) or "nothing",
                shown,
                extra={
                    "source": entry.active if entry is not None else None,
                    "symbol": vt_symbols[0] if len(vt_symbols) == 1 else None,
                },
            )
