"""The failures a local front can be told to show, so the hub's answers to them
can be rehearsed and tested.

States (they last until ``clear``):

* ``silence``: nothing at all goes out on any connection (no HELLO, HB, answer or
  MD) and nothing received is acted on, as from a hung front process; the library
  reports 0x2001 after ``timeout_s``. The front's own idle timeout is suspended
  meanwhile (a hung front times nobody out); after ``clear`` the backlog is answered.
* ``stall``: heartbeats and answers continue, market data (live and snapshots)
  does not: a feed stuck upstream of a healthy front.
* ``refuse``: every new connection is closed at once after accept.
* ``reject-logins``: every login is answered ErrorID 3, as a wrong password is.

``drop`` is an act, not a state: every open connection is closed now (the library
reports 0x1001 and connects again).
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal, get_args

FaultState = Literal["silence", "stall", "refuse", "reject-logins"]
STATES: tuple[str, ...] = get_args(FaultState)
FAULT_COMMANDS: tuple[str, ...] = ("drop", *STATES, "clear")
"""What ``fault <kind>`` accepts (``tickhub ctp-front fault ...`` adds ``status``)."""


class Faults:
    """The active fault states, and a way to wait for the end of a silence."""

    def __init__(self) -> None:
        self.active: set[str] = set()
        self._speaking = asyncio.Event()
        self._speaking.set()
        self.silence_ended_at = 0.0
        """time.monotonic() of the last ``clear`` of a silence: life for every client."""

    @property
    def silenced(self) -> bool:
        return "silence" in self.active

    @property
    def stalled(self) -> bool:
        return "stall" in self.active

    @property
    def refusing(self) -> bool:
        return "refuse" in self.active

    @property
    def rejecting_logins(self) -> bool:
        return "reject-logins" in self.active

    def set(self, kind: str) -> bool:
        """Turn a state on; False if it was on already. ValueError for an unknown one."""
        if kind not in STATES:
            raise ValueError(f"unknown fault {kind!r} (states: {', '.join(STATES)})")
        if kind in self.active:
            return False
        self.active.add(kind)
        if kind == "silence":
            self._speaking.clear()
        return True

    def clear(self) -> list[str]:
        """Turn every state off; the ones that were on, sorted."""
        cleared = sorted(self.active)
        if self.silenced:
            self.silence_ended_at = time.monotonic()
            self._speaking.set()
        self.active.clear()
        return cleared

    async def wait_speaking(self) -> None:
        """Return once the front is not silenced."""
        await self._speaking.wait()
