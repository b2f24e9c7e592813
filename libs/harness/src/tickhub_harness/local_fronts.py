"""Local CTP fronts for a hub of ``ctp`` sources (tests/integration/ha, tests/integration/ctp).

Each :class:`LocalFront` is a ``tickhub ctp-front`` process on free ports serving
the sim's feed: the same seed on two fronts gives two ``ctp`` accounts the same
ticks, as two real accounts at one broker get. The sources on them run the real
path: a gateway worker with vnpy's EventEngine, vnpy_ctp's CtpGateway, tickhub's
stand-in market-data library (``md_library = "local"``) and this front. Faults go
to the front's control port, as an operator sends them with ``tickhub ctp-front
fault``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tickhub_cli.ports import free_port
from tickhub_contracts.messages import SourceConfig
from tickhub_gateway.localctp.front.control import ControlError, request

from .pool import ctp_source

FRONT_RATE = 2.0
"""A CTP front's rhythm: a snapshot every 500 ms."""
BROKER = "9999"
USER = "rehearsal"
PASSWORD = "rehearsal-pw"
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


class LocalFront:
    """``tickhub ctp-front`` as a child process on free ports, its log in a file."""

    def __init__(
        self,
        workdir: Path,
        contracts: Sequence[str],
        *,
        seed: int,
        delay_ms: float = 0.0,
        timeout_s: int = 3,
        password: str = PASSWORD,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.contracts = list(contracts)
        self.seed = seed
        self.delay_ms = delay_ms
        self.timeout_s = timeout_s
        self.password = password
        self.extra_args = list(extra_args)
        """More ``tickhub ctp-front`` options (``--replay FILE --speed X``)."""
        self.port = free_port()
        self.control_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"ctp-front-{self.port}.log"

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> LocalFront:
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "tickhub_cli", "ctp-front",
            "--port", str(self.port), "--control-port", str(self.control_port),
            "--seed", str(self.seed), "--contracts", ",".join(self.contracts),
            "--broker", BROKER, "--user", USER, "--timeout-s", str(self.timeout_s),
            "--delay-ms", str(self.delay_ms), *self.extra_args,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
        env["TICKHUB_CTP_FRONT_PASSWORD"] = self.password
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.status()
                return self
            except (ControlError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ctp-front did not start:\n{self.tail()}") from None
            time.sleep(0.05)  # polling a port that is not open yet: bounded above

    def request(self, line: str) -> dict[str, Any]:
        reply = request("127.0.0.1", self.control_port, line, 5.0)
        if not reply.get("ok"):
            raise ControlError(f"{line!r} refused: {reply}")
        return reply

    def fault(self, kind: str) -> dict[str, Any]:
        """``drop``, ``silence``, ``stall``, ``refuse``, ``reject-logins`` or ``clear``."""
        return self.request(f"fault {kind}")

    def status(self) -> dict[str, Any]:
        return self.request("status")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_GRACE_S)

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def local_ctp_source(
    name: str,
    priority: int,
    front: LocalFront,
    *,
    contracts: Sequence[str],
    canary: str,
    password: str | None = None,
) -> SourceConfig:
    """A ctp account on ``front``: the stand-in library, around the clock."""
    return ctp_source(
        name,
        priority,
        [front.address],
        contracts=contracts,
        canary=canary,
        userid=USER,
        password=front.password if password is None else password,
        broker_id=BROKER,
        connect_timeout_s=5.0,
        md_library="local",
        trading_hours="always",
    )
