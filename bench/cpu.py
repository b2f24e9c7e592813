"""CPU time and memory of processes, read from /proc: what each part of a run costs.

A process's CPU is its user + system time (``/proc/PID/stat`` fields 14 and 15, in
clock ticks). A gateway's workers are its children, so a role can name a parent and
take its children instead. Read twice, around the measured window; the difference
divided by the ticks delivered in that window is the cost per delivered tick.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

_HZ = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (0.0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may hold spaces; everything after its ')' splits.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _HZ


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (``VmRSS``; 0.0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (every thread's list, as the kernel keeps them)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


Roles = Mapping[str, Callable[[], list[int]]]
"""Role name -> the pids that make it up now (asked at each reading)."""


class Meter:
    """CPU seconds per role between :meth:`start` and :meth:`stop`."""

    def __init__(self, roles: Roles) -> None:
        self.roles = roles
        self._pids: dict[str, list[int]] = {}
        self._start: dict[int, float] = {}
        self.seconds: dict[str, float] = {}
        self.rss_mb: dict[str, float] = {}
        """Resident memory per role at :meth:`stop`."""

    def start(self) -> None:
        self._pids = {role: pids() for role, pids in self.roles.items()}
        self._start = {pid: cpu_s(pid) for pids in self._pids.values() for pid in pids}

    def stop(self) -> dict[str, float]:
        """CPU seconds each role used since :meth:`start` (the pids read at start)."""
        self.seconds = {
            role: sum(max(0.0, cpu_s(pid) - self._start[pid]) for pid in pids)
            for role, pids in self._pids.items()
        }
        self.rss_mb = {role: sum(rss_mb(pid) for pid in pids) for role, pids in self._pids.items()}
        return self.seconds


def per_tick_us(seconds: Mapping[str, float], ticks: int) -> dict[str, float]:
    """CPU seconds per role -> microseconds per delivered tick."""
    return {role: (s * 1e6 / ticks if ticks else 0.0) for role, s in seconds.items()}
