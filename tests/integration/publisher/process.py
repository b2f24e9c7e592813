"""`python -m tickhub_publisher` as its own process: where it bound, what it holds."""

from __future__ import annotations

import re
from pathlib import Path

from tickhub_runtime.settings import Settings

from ..service_process import ServiceProcess
from ..service_process import start_service as start_process
from .feed import until


class Service(ServiceProcess):
    """The publisher process."""

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


async def start_service(settings: Settings, **env: str) -> Service:
    return await start_process(
        "publisher",
        settings,
        Service,
        **{
            "TICKHUB_ZMQ_PUB": settings.zmq_pub,
            "TICKHUB_ZMQ_RECOVERY": settings.zmq_recovery,
            **env,
        },
    )
