"""The hub's processes: each service as ``python -m tickhub_<name>`` in a process group
of its own, and the gateway's workers, which run in sessions of their own and are found
(and only ever killed) by what /proc says they are."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WORKER_MODULE = "tickhub_gateway.worker"
STOP_GRACE_S = 5.0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """A live, unreaped process (a zombie counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(") ", 1)[1][0] != "Z"


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc: workers leave the gateway's group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(") ", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def kill_worker(pid: int) -> None:
    """SIGKILL a gateway worker, only if ``pid`` still is one (pids are reused)."""
    if alive(pid) and WORKER_MODULE in _cmdline(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGKILL)


@dataclass
class Service:
    """``python -m tickhub_<name>`` in a process group of its own, logging to a file."""

    name: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    def start(self) -> Service:
        self.runs += 1
        with self.log.open("ab") as out:
            out.write(f"--- run {self.runs} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"tickhub_{self.name}"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    async def stop(self, grace: float = STOP_GRACE_S) -> int | None:
        """SIGTERM, SIGKILL of the whole group after ``grace``; the exit code."""
        process = self.process
        if process is None:
            return None
        self.signal_group(signal.SIGCONT)
        self.signal_group(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, grace)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            process.wait(5)
        # Whatever else the group held (nothing, normally) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.returncode

    async def restart(self, grace: float = STOP_GRACE_S) -> None:
        await self.stop(grace)
        self.start()

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])
