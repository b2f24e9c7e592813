"""``python -m tickhub_<service>`` as its own process, the way `tickhub up` runs it,
with its stderr (its log lines) collected as it goes: what the tests of one service
run as a process share."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import TypeVar

from tickhub_runtime.settings import Settings


class ServiceProcess:
    """One service process; ``text`` is everything it logged so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    async def until(self, text: str, within: float = 30.0) -> None:
        """Wait for ``text`` in the log; fails at once if the process ended."""
        deadline = time.monotonic() + within
        while text not in self.text:
            assert self.process.returncode is None, self.text
            assert time.monotonic() < deadline, f"no {text!r} within {within} s:\n{self.text}"
            await asyncio.sleep(0.05)

    async def stop(self, sig: int = signal.SIGTERM, within: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit (killed after ``within`` s); the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        await self._reader
        return code


P = TypeVar("P", bound=ServiceProcess)


async def start_service(name: str, settings: Settings, kind: type[P], **env: str) -> P:
    """Start ``python -m tickhub_<name>`` on ``settings``' NATS and data dir, watched
    as a ``kind`` (a :class:`ServiceProcess` that knows that service's log lines)."""
    environment = {
        **os.environ,
        "TICKHUB_NATS_URL": settings.resolved_nats_url,
        "TICKHUB_DATA_DIR": str(settings.data_dir),
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"tickhub_{name}",
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return kind(process)
