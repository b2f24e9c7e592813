"""The benchmark's own measures: CPU per process and each burst's drain. A bench that
mismeasured would report targets met or missed for the wrong reason."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.cpu import Meter, children, cpu_s, per_tick_us
from bench.receiver import Tally


def spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_cpu_is_read_per_process_and_a_parent_finds_its_child() -> None:
    before = cpu_s(os.getpid())
    spin(0.3)
    assert cpu_s(os.getpid()) - before >= 0.2
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in children(os.getpid())
        assert cpu_s(999_999_999) == 0.0  # gone: nothing, not an error
    finally:
        child.kill()
        child.wait()


def test_a_meter_counts_a_role_between_start_and_stop_only() -> None:
    meter = Meter({"me": lambda: [os.getpid()]})
    spin(0.2)  # before start: not counted
    meter.start()
    spin(0.3)
    seconds = meter.stop()["me"]
    assert 0.25 <= seconds < 0.45
    assert per_tick_us({"me": seconds}, 1000)["me"] == pytest.approx(seconds * 1e3)


def test_a_bursts_drain_is_its_latest_arrival_after_its_start() -> None:
    tally = Tally(period_ns=None, bursts=True)
    start = time.time_ns()
    for symbol in ("a", "b", "c"):  # burst 1: all stamped at its start
        tally.add(symbol, 1, start - 5_000_000)
    tally.add("a", 2, time.time_ns() - 1_000_000)  # burst 2, 1 ms old
    assert tally.drains[1] >= 5_000_000
    assert tally.drains[1] == max(tally.latencies[:3])
    assert 1_000_000 <= tally.drains[2] < tally.drains[1]
    assert (tally.lost, tally.duplicated) == (0, 0)
    tally.add("a", 4, time.time_ns())  # a hole in a's counter
    tally.add("b", 1, time.time_ns())  # b again: a duplicate
    assert (tally.lost, tally.duplicated) == (1, 1)
