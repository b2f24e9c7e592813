"""What every benchmark run shares: the ticks it sends, pacing, and the statistics."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime

from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ

from .cpu import Meter

EXCHANGES = ["SHFE", "DCE", "CZCE", "CFFEX", "INE", "GFEX"]


def symbols(n: int, exchanges: int = 1) -> list[str]:
    """n distinct vt_symbols (bench0000.SHFE ...), dealt round the first ``exchanges``
    exchanges (bench0001.DCE when there are two)."""
    return [f"bench{i:04d}.{EXCHANGES[i % exchanges]}" for i in range(n)]


def template(vt_symbol: str) -> Tick:
    """A full tick (five book levels filled): the size real CTP ticks have."""
    symbol, exchange = vt_symbol.split(".")
    return Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ),
        name=symbol,
        volume=1000.0,
        turnover=3.5e9,
        open_interest=120000.0,
        last_price=3500.0,
        last_volume=2.0,
        limit_up=3850.0,
        limit_down=3150.0,
        open_price=3490.0,
        high_price=3510.0,
        low_price=3480.0,
        pre_close=3495.0,
        bid_price_1=3499.0, bid_price_2=3498.0, bid_price_3=3497.0, bid_price_4=3496.0,
        bid_price_5=3495.0,
        ask_price_1=3500.0, ask_price_2=3501.0, ask_price_3=3502.0, ask_price_4=3503.0,
        ask_price_5=3504.0,
        bid_volume_1=10.0, bid_volume_2=20.0, bid_volume_3=30.0, bid_volume_4=40.0,
        bid_volume_5=50.0,
        ask_volume_1=11.0, ask_volume_2=21.0, ask_volume_3=31.0, ask_volume_4=41.0,
        ask_volume_5=51.0,
        gateway_name="bench",
        source="bench",
    )  # fmt: skip


def paced(rate: float, total: int) -> Iterator[int]:
    """Yield how many messages are due now, keeping ``rate`` per second on average.

    Sleeps only while nothing is due, so a sender that falls behind catches up in a
    burst (as a real feed does) instead of silently lowering the rate.
    """
    start = time.perf_counter()
    sent = 0
    while sent < total:
        due = min(total, int((time.perf_counter() - start) * rate) + 1)
        if due > sent:
            yield due - sent
            sent = due
        else:
            time.sleep(max(0.0, (sent + 1) / rate - (time.perf_counter() - start)))


def bursts(period_s: float, count: int) -> Iterator[int]:
    """Yield at the start of each of ``count`` bursts, ``period_s`` apart (burst index;
    a burst that is due late is yielded at once, as a real front's would arrive)."""
    start = time.perf_counter()
    for k in range(count):
        wait = start + k * period_s - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        yield k


@dataclass
class Result:
    name: str
    offered_per_s: float
    received: int
    expected: int
    lost: int
    duplicated: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    notes: list[str] = field(default_factory=list)
    bursts: int = 0
    """Whole bursts measured (burst-shaped runs only)."""
    drain_p50_ms: float = math.nan
    drain_max_ms: float = math.nan
    """How long after its start a burst's last tick arrived: median and worst."""
    cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds per process role over the measured window."""
    stages_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Stage -> (p50, p99) ms of the ticks' time in it (the hub's runs)."""
    rss_mb: dict[str, float] = field(default_factory=dict)
    """Resident memory per process role at the end of the measured window."""
    contracts: int = 0
    """Contracts the run carried (the hub's runs)."""

    def cpu_us_per_tick(self) -> dict[str, float]:
        return {role: s * 1e6 / self.received for role, s in self.cpu_s.items() if self.received}

    @property
    def rate_per_s(self) -> float:
        return self.received / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index] / 1e6


def spawn_receiver(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m bench.receiver ARGS``; returns once it says it is connected."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise RuntimeError(f"receiver failed to start: {line!r}")
    return process


def receiver_result(
    process: subprocess.Popen[str],
    timeout: float,
    meter: Meter | None = None,
) -> Result:
    """Wait for the receiver's result. ``meter`` (the hub's processes) is started at
    the receiver's ``measuring`` and stopped at its result, and its CPU seconds join
    the receiver's own in :attr:`Result.cpu_s`."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline().strip()
        if line == "measuring":
            if meter is not None:
                meter.start()
            continue
        if line.startswith("{") or not line:
            break
    if meter is not None:
        meter.stop()
    process.wait(timeout=max(1.0, deadline - time.monotonic()))
    if not line.startswith("{"):
        raise RuntimeError(f"receiver ended without a result (last line {line!r})")
    result = Result(**json.loads(line))
    if meter is not None:
        result.cpu_s = {**meter.seconds, **result.cpu_s}
        result.rss_mb = dict(meter.rss_mb)
    return result
