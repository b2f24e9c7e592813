"""`python -m tickhub_publisher` as its own process, the way `tickhub up` runs it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from tickhub_runtime.settings import Settings

from .feed import until


class Service:
    """The publisher process, its stderr collected as it goes."""

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

    async def endpoint(self) -> str:
        found: list[str] = []

        def bound() -> bool:
            found.extend(re.findall(r"publishing ticks on (\S+)", self.text))
            return bool(found) or self.process.returncode is not None

        await until(bound, limit_s=30, what="the publisher to bind")
        assert found, self.text
        return found[0]

    def rss(self) -> int:
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", text)
        assert match is not None
        return int(match.group(1)) * 1024

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            code = await asyncio.wait_for(self.process.wait(), 30)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        await self._reader
        return code


async def start_service(settings: Settings, **env: str) -> Service:
    environment = {
        **os.environ,
        "TICKHUB_NATS_URL": settings.resolved_nats_url,
        "TICKHUB_DATA_DIR": str(settings.data_dir),
        "TICKHUB_ZMQ_PUB": settings.zmq_pub,
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tickhub_publisher",
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return Service(process)
