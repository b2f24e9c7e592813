"""The supervisor with real child processes (small Python programs standing in for
services): restarts with backoff, notices an exit even when a grandchild holds the
output pipe, and kills what ignores SIGTERM once the grace is over."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.cli.running import alive, descendants
from tickhub_cli.supervisor import Backoff, ChildSpec, Supervisor

pytestmark = pytest.mark.integration


def spec(name: str, code: str) -> ChildSpec:
    return ChildSpec(name, [sys.executable, "-c", code], dict(os.environ))


def fast_backoff() -> Backoff:
    return Backoff(initial_s=0.1, max_s=0.4, stable_s=30.0)


async def until(condition: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within_s} s")
        await asyncio.sleep(0.02)


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


async def test_a_child_that_dies_is_restarted_with_growing_delays() -> None:
    out = io.BytesIO()
    supervisor = Supervisor(
        [spec("crasher", "import sys; print('up', flush=True); sys.exit(3)")],
        stop_grace_s=5,
        out=out,
        backoff=fast_backoff,
        dedicated=False,
    )
    started = time.monotonic()
    supervisor.start()
    await until(lambda: out.getvalue().count(b"crasher | up\n") >= 4, 30, "four runs")
    elapsed = time.monotonic() - started
    await supervisor.stop()
    # Delays 0.1 + 0.2 + 0.4 between the four starts: backoff, not a hot loop.
    assert elapsed >= 0.7
    assert supervisor.starts["crasher"] >= 4


async def test_an_exit_is_seen_while_a_grandchild_still_holds_the_output(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'a').write(f'{{child.pid}}\\n')\n"
        "sys.exit(5)\n"
    )
    supervisor = Supervisor(
        [spec("leaver", code)],
        stop_grace_s=5,
        out=io.BytesIO(),
        backoff=fast_backoff,
        dedicated=False,
    )
    supervisor.start()
    # asyncio's own subprocess wait() would hang here until the grandchild exits.
    await until(lambda: supervisor.starts["leaver"] >= 2, 30, "a restart after the exit")
    await supervisor.stop()
    # One grandchild per run. The first shared the dead child's process group, which was
    # killed before the restart. (A later run's may still live: stop() ends children,
    # and only a dedicated supervisor, a subreaper, sweeps what they leave.)
    first, *later = (int(line) for line in pid_file.read_text().split())
    try:
        await until(lambda: gone(first), 10, "the first grandchild gone")
    finally:
        for pid in later:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def test_a_child_ignoring_sigterm_is_killed_after_the_grace() -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    out = io.BytesIO()
    supervisor = Supervisor(
        [spec("stubborn", code), spec("polite", "import time; time.sleep(120)")],
        stop_grace_s=1.0,
        out=out,
        dedicated=False,
    )
    supervisor.start()
    await until(lambda: b"stubborn | ready" in out.getvalue(), 30, "the stubborn child ready")
    pids = {name: child.pid for name, child in supervisor.running.items()}
    tree = [identity for pid in pids.values() for identity in descendants(pid)]
    began = time.monotonic()
    await supervisor.stop()
    took = time.monotonic() - began
    assert 1.0 <= took < 10
    assert supervisor.running == {}
    assert all(gone(pid) for pid in pids.values())
    assert not any(alive(identity) for identity in tree)


async def test_force_cuts_the_grace_short() -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    out = io.BytesIO()
    supervisor = Supervisor([spec("stubborn", code)], stop_grace_s=60, out=out, dedicated=False)
    supervisor.start()
    await until(lambda: b"stubborn | ready" in out.getvalue(), 30, "the child ignoring SIGTERM")
    stopping = asyncio.create_task(supervisor.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done()  # still in its 60 s grace
    began = time.monotonic()
    supervisor.force()
    await asyncio.wait_for(stopping, 10)
    assert time.monotonic() - began < 5
