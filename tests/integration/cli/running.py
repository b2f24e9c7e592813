"""Helpers to run the real ``tickhub`` command as a process and to prove it leaves
nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import zmq

from tickhub_cli.ports import free_port
from tickhub_contracts import zeromq
from tickhub_contracts.messages import Tick

TICKHUB = str(Path(sys.executable).parent / "tickhub")


def hub_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `tickhub` process of this test: nothing inherited from the
    developer's TICKHUB_* settings, its own data dir and free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    env.update(
        TICKHUB_DATA_DIR=str(data_dir),
        TICKHUB_NATS_PORT=str(free_port()),
        TICKHUB_ZMQ_PUB=f"tcp://127.0.0.1:{free_port()}",
        TICKHUB_ZMQ_RECOVERY=f"tcp://127.0.0.1:{free_port()}",
        TICKHUB_API_PORT=str(free_port()),
        TICKHUB_STOP_GRACE_S="15",
    )
    env.update(extra)
    return env


def tickhub(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one short `tickhub` command to completion."""
    return subprocess.run(
        [TICKHUB, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


class Output:
    """Lines of a stream, collected by a thread, waitable."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching line within {timeout} s")
                self._cond.wait(left)

    def join(self, timeout: float = 10) -> None:
        self._thread.join(timeout)

    @property
    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


class Up:
    """A running `tickhub up`, its own session so the test's signals go only to it."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [TICKHUB, "up", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.stdout = Output(self.process.stdout)
        self.stderr = Output(self.process.stderr)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.stdout.join()
        self.stderr.join()
        return code

    def kill(self) -> None:
        """Test clean-up only: SIGKILL `up` and everything it still has."""
        if self.process.poll() is None:
            tree = descendants(self.pid)
            self.process.kill()
            self.process.wait(10)
            for pid, _ in tree:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextmanager
def running_up(env: dict[str, str], *args: str) -> Iterator[Up]:
    up = Up(env, *args)
    try:
        yield up
    finally:
        up.kill()


# --- the process table ------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of ``pid``, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


Identity = tuple[int, int]
"""(pid, start time): a process, even if its pid is reused later."""


def descendants(root: int) -> list[Identity]:
    parents: dict[int, list[Identity]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append((int(entry.name), stat[2]))
    found: list[Identity] = []
    todo = list(parents.get(root, []))
    while todo:
        identity = todo.pop()
        found.append(identity)
        todo.extend(parents.get(identity[0], []))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(identity: Identity) -> bool:
    stat = _stat(identity[0])
    return stat is not None and stat[2] == identity[1] and stat[1] not in ("Z", "X")


def mentioning(text: str) -> list[str]:
    """Live processes whose command line or environment mentions ``text``."""
    needle = text.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        stat = _stat(int(entry.name))
        if needle in blob and stat is not None and stat[1] not in ("Z", "X"):
            found.append(f"{entry.name}: {cmdline(int(entry.name))}")
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def first_tick(endpoint: str, topic: bytes, timeout_s: float = 30) -> Tick:
    """The first tick of ``topic`` a new SUB socket gets from ``endpoint``."""
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, topic)
    sub.connect(endpoint)
    try:
        assert sub.poll(round(timeout_s * 1000)), f"no tick on ZeroMQ within {timeout_s:g} s"
        got, payload = sub.recv_multipart()
    finally:
        sub.close()
        context.term()
    assert got == topic
    return zeromq.decode(payload)
