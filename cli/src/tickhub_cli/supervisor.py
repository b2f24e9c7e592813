"""The supervisor behind ``tickhub up``: runs each service as a child process,
streams its output, restarts it with backoff when it dies, and on stop ends every
process it (or a child of it) started.

Children run in their own session, so a Ctrl-C in the terminal reaches only the
supervisor, which then stops them in order (services first, the bus last) instead
of everything dying at once. The supervisor is a Linux "subreaper": a worker
orphaned by a service that was killed hard is re-parented to it rather than to
PID 1, so the final sweep still finds and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from tickhub_runtime.logs import get_logger

from . import procs

log = get_logger("tickhub.up")

# A line already in tickhub's structured format (runtime/logs.py) names its service;
# anything else (a traceback, a library's print) gets the service name put in front.
_STRUCTURED = re.compile(rb"^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ChildSpec:
    """One service to keep running."""

    name: str
    argv: list[str]
    env: dict[str, str]


@dataclass
class Backoff:
    """Delay before restarting a child: doubles on each quick death, resets once a
    run has lasted ``stable_s`` (a crash after a day is not a crash loop)."""

    initial_s: float = 0.5
    max_s: float = 30.0
    stable_s: float = 30.0
    _next_s: float = field(default=0.0, init=False)

    def next_delay(self, ran_for_s: float) -> float:
        if ran_for_s >= self.stable_s or self._next_s == 0.0:
            self._next_s = self.initial_s
        else:
            self._next_s = min(self._next_s * 2, self.max_s)
        return self._next_s


class LinePump:
    """Copies a child's output to ``out`` line by line, never splitting a line of
    one child with another's, whatever the line length."""

    def __init__(self, name: str, out: BinaryIO) -> None:
        self.prefix = f"{name} | ".encode()
        self.out = out
        self._partial = b""

    def feed(self, chunk: bytes) -> None:
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self._write(line)
        self.out.flush()

    def close(self) -> None:
        if self._partial:
            self._write(self._partial)
            self._partial = b""
            self.out.flush()

    def _write(self, line: bytes) -> None:
        if _STRUCTURED.match(line):
            self.out.write(line + b"\n")
        else:
            self.out.write(self.prefix + line + b"\n")


class Child:
    """One running child process: its exit and its output, watched from the loop.

    Not asyncio's subprocess API: its ``wait()`` only returns once every holder of
    the output pipe has closed it, and a service's own children (gateway workers)
    inherit that pipe, so a service killed hard would never be seen to exit. Here
    the exit comes from a pidfd (Linux) and the output is read independently.
    """

    def __init__(self, spec: ChildSpec, out: BinaryIO) -> None:
        self.spec = spec
        self.popen = subprocess.Popen(
            spec.argv,
            env=spec.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=procs.die_with_parent(),
        )
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._eof: asyncio.Future[None] = self._loop.create_future()
        self._pump = LinePump(spec.name, out)
        assert self.popen.stdout is not None
        self._out_fd = self.popen.stdout.fileno()
        os.set_blocking(self._out_fd, False)
        self._loop.add_reader(self._out_fd, self._read)
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self._poller: asyncio.Task[None] = asyncio.create_task(self._poll())
        else:
            self._loop.add_reader(self._pidfd, self._check_exit)

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def _check_exit(self) -> None:
        code = self.popen.poll()
        if code is None or self._exited.done():
            return
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._exited.set_result(code)

    async def _poll(self) -> None:
        while not self._exited.done():
            self._check_exit()
            await asyncio.sleep(0.1)

    def _read(self) -> None:
        try:
            chunk = os.read(self._out_fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._pump.feed(chunk)
        else:
            self._close_output()

    def _close_output(self) -> None:
        if self._eof.done():
            return
        self._loop.remove_reader(self._out_fd)
        self._pump.close()
        assert self.popen.stdout is not None
        self.popen.stdout.close()
        self._eof.set_result(None)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    async def drain_output(self, timeout_s: float) -> None:
        """Let the output reach EOF; stop reading after ``timeout_s`` (something the
        child started still holds the pipe)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._eof), timeout_s)
        self._close_output()

    def send_signal(self, sig: int) -> None:
        if self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)

    def kill_group(self) -> None:
        """SIGKILL the child's whole session (it leads its own process group)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


class Supervisor:
    """Keeps ``specs`` running until :meth:`stop`.

    ``keep_pids`` returns processes the supervisor must never sweep (the bundled
    nats-server, which ``tickhub up`` stops itself, last).
    """

    def __init__(
        self,
        specs: list[ChildSpec],
        *,
        stop_grace_s: float,
        out: BinaryIO | None = None,
        keep_pids: Callable[[], set[int]] = set,
        backoff: Callable[[], Backoff] = Backoff,
        dedicated: bool = True,
    ) -> None:
        self.specs = specs
        self.stop_grace_s = stop_grace_s
        self.out: BinaryIO = out if out is not None else sys.stderr.buffer
        self.keep_pids = keep_pids
        self.backoff = backoff
        self.running: dict[str, Child] = {}
        self.starts: dict[str, int] = {spec.name: 0 for spec in specs}
        self._stopping = asyncio.Event()
        self._force = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # A dedicated process (`tickhub up`) owns every process below it: it adopts
        # orphans and sweeps all descendants. Embedded in a process that has other
        # children (a test run), it only ever touches its own children's groups.
        self.dedicated = dedicated
        self.subreaper = dedicated and procs.become_subreaper()

    # --- running ----------------------------------------------------------------

    def start(self) -> None:
        for spec in self.specs:
            self._tasks.append(asyncio.create_task(self._keep(spec), name=f"keep-{spec.name}"))

    async def _keep(self, spec: ChildSpec) -> None:
        backoff = self.backoff()
        while not self._stopping.is_set():
            try:
                child = Child(spec, self.out)
            except OSError as error:
                log.error("%s: cannot start %s: %s", spec.name, spec.argv[0], error)
                delay = backoff.next_delay(0.0)
            else:
                self.running[spec.name] = child
                self.starts[spec.name] += 1
                log.info("%s started (pid %d)", spec.name, child.pid)
                code = await child.wait()
                del self.running[spec.name]
                if self._stopping.is_set():
                    await child.drain_output(1.0)
                    log.info("%s stopped (%s)", spec.name, _describe_exit(code))
                    return
                log.error("%s exited unexpectedly (%s)", spec.name, _describe_exit(code))
                # Whatever it started and left behind must go before a new one starts
                # (two gateway workers for one source would both publish). As subreaper
                # we have adopted those orphans and stop them gracefully; elsewhere the
                # process group is all we can reach.
                if not self.subreaper:
                    child.kill_group()
                await self._sweep_orphans()
                await child.drain_output(1.0)
                delay = backoff.next_delay(time.monotonic() - child.started)
                log.warning("%s: restarting in %.1f s", spec.name, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _sweep_orphans(self) -> None:
        """Stop processes re-parented to us by a service that died (its workers)."""
        if not self.subreaper:
            return
        known = {child.pid for child in self.running.values()} | self.keep_pids()
        orphans = [pid for pid in procs.children(os.getpid()) if pid not in known]
        orphans = [pid for pid in orphans if procs.alive(pid)]
        if orphans:
            log.warning("stopping %d orphaned process(es) %s", len(orphans), orphans)
            await asyncio.to_thread(procs.terminate, orphans, min(self.stop_grace_s, 3.0))

    # --- stopping ---------------------------------------------------------------

    def force(self) -> None:
        """Cut the grace period short: SIGKILL whatever still runs."""
        self._force.set()

    async def stop(self) -> None:
        """SIGTERM every child, SIGKILL after the grace, then sweep what they left."""
        self._stopping.set()
        for name, child in list(self.running.items()):
            log.info("stopping %s (pid %d)", name, child.pid)
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_s
        force = asyncio.create_task(self._force.wait())
        pending = {t for t in self._tasks if not t.done()}
        while pending and not force.done():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.wait([*pending, force], timeout=left, return_when=asyncio.FIRST_COMPLETED)
            pending = {t for t in pending if not t.done()}
        force.cancel()
        for name, child in list(self.running.items()):
            if child.returncode is None:
                log.warning("%s did not stop in time: killing it", name)
                child.kill_group()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._sweep_all()

    async def _sweep_all(self) -> None:
        """Last line of defence: anything still below us but the kept pids."""
        if not self.dedicated:
            return
        keep = self.keep_pids()
        left = [pid for pid in procs.descendants(os.getpid()) if pid not in keep]
        left = [pid for pid in left if procs.alive(pid)]
        if left:
            log.warning("stopping %d leftover process(es) %s", len(left), left)
            await asyncio.to_thread(procs.terminate, left, min(self.stop_grace_s, 3.0))


def _describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"ended by {signal.Signals(-code).name}"
    return f"exit code {code}"
