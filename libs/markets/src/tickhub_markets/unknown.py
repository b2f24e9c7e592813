"""A product the session table does not know is a warning naming it, once per product
per process.

Its sessions are a guess (its exchange's day session, no night session: see
:func:`tickhub_markets.sessions.sessions_of`), so a health verdict or a sim's quiet
night built on it deserves a line in the log, but one line, not one per look-up. The
services call :func:`warn_if_unknown` where they first look a contract up; the log is
theirs, so this module stays free of I/O.
"""

from __future__ import annotations

import threading
from typing import Protocol

from .sessions import sessions_of


class WarningLog(Protocol):
    """A logger, or anything with its ``warning``."""

    def warning(self, msg: str, /, *args: object) -> object: ...


_warned: set[tuple[str, str]] = set()
"""(exchange, product in lower case) already warned about in this process."""
_lock = threading.Lock()


def warn_if_unknown(vt_symbol: str, log: WarningLog) -> bool:
    """Warn on ``log`` when ``vt_symbol``'s product is not in the session table, the
    first time this process meets that product (on that exchange); True if it did.
    A vt_symbol that is no ``SYMBOL.EXCHANGE`` at all counts as its own product."""
    try:
        found = sessions_of(vt_symbol)
    except ValueError:
        key = ("", vt_symbol)
        message = f"{vt_symbol!r} is no SYMBOL.EXCHANGE: its sessions are unknown"
    else:
        if found.known:
            return False
        key = (found.exchange, found.product.lower())
        message = (
            f"unknown product {found.product!r} ({vt_symbol}): {found.exchange} has no such "
            "product in tickhub_markets/sessions.toml, so it is taken to trade in the "
            "exchange's day session only, never at night"
        )
    with _lock:
        if key in _warned:
            return False
        _warned.add(key)
    log.warning("%s", message)
    return True


def forget_warnings() -> None:
    """Warn again about every product (for tests)."""
    with _lock:
        _warned.clear()
