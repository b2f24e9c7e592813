"""Process-tree helpers for the supervisor: who descends from whom, and making sure
nothing a child started outlives ``tickhub up``.

Linux-specific where it must be (``/proc``, ``prctl``); elsewhere the helpers degrade
to no-ops and the supervisor falls back on process groups.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

_prctl: Callable[..., int] | None = None
if sys.platform == "linux":
    with contextlib.suppress(OSError, AttributeError):
        _prctl = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (instead of PID 1).

    A service killed hard leaves its own children (the gateway's workers) behind;
    as subreaper we still see them in our tree and can stop them.
    """
    if _prctl is None:
        return False
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGTERM the child if ``tickhub up`` dies
    without cleaning up (SIGKILL, OOM): the children then stop themselves cleanly.

    The prctl function is looked up here, before the fork, so the child only makes
    one libc call between fork and exec.
    """
    prctl = _prctl
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return preexec


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can see."""
    result: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it exited while we looked
            continue
        # The command name is in parentheses and may hold spaces or ')': split after the last.
        fields = stat[stat.rfind(")") + 2 :].split()
        result[int(entry.name)] = int(fields[1])
    return result


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (children, grandchildren, ...)."""
    if not Path("/proc/self/stat").exists():
        return []
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def children(root: int) -> list[int]:
    """The direct children of ``root``."""
    if not Path("/proc/self/stat").exists():
        return []
    return [pid for pid, ppid in _parents().items() if ppid == root]


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone; it is reaped if it is ours)."""
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state[state.rfind(")") + 2 :].split()[0] not in {"Z", "X"}


def signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def terminate(pids: list[int], grace_s: float) -> list[int]:
    """SIGTERM ``pids``, SIGKILL whichever still runs after ``grace_s``; returns the
    pids that had to be killed. Blocking: for the last sweep only."""
    signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if alive(pid)]
    signal_all(left, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(alive(pid) for pid in left):
        time.sleep(0.02)
    return left
