"""``python -m bench [--quick] [--only throughput|failover] [--failover-reps N]``: run
the benchmarks, print them, write docs/benchmarks.md.

Each generated part of docs/benchmarks.md sits between its own two marker lines (the
throughput runs, the failover runs), so running one part keeps the other's figures;
the analysis around them is written by hand and kept.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from . import baselines, failover, pipeline, universe
from .common import Result

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
FAILOVER_BEGIN, FAILOVER_END = "<!-- bench:failover:begin -->", "<!-- bench:failover:end -->"
FLAT_OUT = 1e9  # "offered" rate for a sender that sends as fast as it can


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import os

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    nats = subprocess.run(
        [sys.executable, "-c", "from tickhub_cli.natsserver import binary; print(binary())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    nats_version = subprocess.run([nats, "--version"], capture_output=True, text=True).stdout
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; pyzmq {version('pyzmq')}, "
        f"nats-py {version('nats-py')}, {nats_version.strip()}, msgspec {version('msgspec')}, "
        f"vnpy {version('vnpy')}"
    )


def row(r: Result, baseline: Result | None = None) -> str:
    offered = "flat out" if r.offered_per_s >= FLAT_OUT else f"{r.offered_per_s:,.0f}"
    ratio = f"{r.p99_ms / baseline.p99_ms:.1f}×" if baseline and baseline.p99_ms > 0 else ""
    drain = f"{r.drain_p50_ms:.1f} / {r.drain_max_ms:.1f}" if r.bursts else ""
    return (
        f"| {r.name} | {offered} | {r.rate_per_s:,.0f} | {r.received:,} | {r.lost:,} | "
        f"{r.duplicated:,} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} | {ratio} | "
        f"{drain} | {cpu_cell(r)} |"
    )


def cpu_cell(r: Result) -> str:
    """CPU µs per delivered tick, per process role, and the figure the targets compare:
    the transport's own (nats-server + publisher for tickhub, sender + receiver for a
    baseline)."""
    per = r.cpu_us_per_tick()
    if not per:
        return ""
    parts = " · ".join(f"{role} {us:.1f}" for role, us in per.items())
    transport = per.get("nats-server", 0.0) + per.get("publisher", 0.0)
    if not transport:
        transport = per.get("sender", 0.0) + per.get("receiver", 0.0)
    return f"**{transport:.1f}** ({parts})"


HEADER = (
    "| run | offered ticks/s | delivered ticks/s | received | lost | duplicated | p50 ms | "
    "p99 ms | max ms | p99 vs raw ZeroMQ | burst drain p50 / max ms | CPU µs per tick |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


Maker = Callable[[], Result]
FUTURES = universe.market(options=False)
OPTIONS = universe.market(options=True)
CASES: dict[str, tuple[str, Callable[[float], list[Maker]]]] = {
    "steady-2k": (
        "2,000 ticks/s (100 contracts × 20/s)",
        lambda s: [
            lambda: baselines.raw_zmq(2000, s),
            lambda: baselines.vnpy_rpc(2000, s),
            lambda: pipeline.tickhub(20, 100, s),
        ],
    ),
    "steady-20k": (
        "20,000 ticks/s (200 contracts × 100/s)",
        lambda s: [
            lambda: baselines.raw_zmq(20_000, s),
            lambda: baselines.vnpy_rpc(20_000, s),
            lambda: pipeline.tickhub(100, 200, s),
        ],
    ),
    "futures": (
        "the full futures market as a universe (SHFE, INE, DCE, CZCE, GFEX, CFFEX: "
        f"{len(FUTURES)} contracts listed today), one 500 ms snapshot burst each, from three "
        f"hot sources ({6 * len(FUTURES):,} ticks/s in, {2 * len(FUTURES):,} out)",
        lambda s: [
            lambda: baselines.raw_zmq(2 * len(FUTURES), s, len(FUTURES), burst=True),
            lambda: baselines.vnpy_rpc(2 * len(FUTURES), s, len(FUTURES), burst=True),
            lambda: pipeline.tickhub(2, 0, s, copies=3, burst=True, market=FUTURES),
        ],
    ),
    "options": (
        "the whole market with options as a universe (the six exchanges with options: "
        f"{len(OPTIONS):,} instruments), one 500 ms snapshot burst each, from three hot "
        f"sources ({6 * len(OPTIONS):,} ticks/s in, {2 * len(OPTIONS):,} out)",
        lambda s: [
            lambda: baselines.raw_zmq(2 * len(OPTIONS), s, len(OPTIONS), burst=True),
            lambda: baselines.vnpy_rpc(2 * len(OPTIONS), s, len(OPTIONS), burst=True),
            lambda: pipeline.tickhub(2, 0, s, copies=3, burst=True, market=OPTIONS),
        ],
    ),
    "sharded": (
        "sharded: the options case split by exchange over two publisher processes "
        "(SHFE, INE, CFFEX | DCE, CZCE, GFEX)",
        lambda s: [
            lambda: baselines.raw_zmq(2 * len(OPTIONS), s, len(OPTIONS), burst=True),
            lambda: pipeline.tickhub(2, 0, s, copies=3, burst=True, publishers=2, market=OPTIONS),
        ],
    ),
    "recovery": (
        "the futures case while a client hammers the recovery endpoint (snapshots of every "
        "contract and gap fills of 100, 50 requests in flight, flat out), beside the same "
        "hub left alone",
        lambda s: [
            lambda: baselines.raw_zmq(2 * len(FUTURES), s, len(FUTURES), burst=True),
            lambda: baselines.vnpy_rpc(2 * len(FUTURES), s, len(FUTURES), burst=True),
            lambda: pipeline.tickhub(2, 0, s, copies=3, burst=True, market=FUTURES),
            lambda: pipeline.tickhub(2, 0, s, copies=3, burst=True, market=FUTURES, hammer=True),
        ],
    ),
    "flat-out": (
        "throughput: 50,000 ticks/s offered to tickhub (500 contracts × 100/s, two sim "
        "workers); baselines sending flat out",
        lambda s: [
            lambda: baselines.raw_zmq(FLAT_OUT, 0.0002),  # 200,000 ticks
            lambda: baselines.vnpy_rpc(FLAT_OUT, 0.0002),
            lambda: pipeline.tickhub(100, 500, s, workers=2),
        ],
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke check)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--only", choices=["throughput", "failover"], help="run one part (default: both)"
    )
    parser.add_argument(
        "--failover-reps",
        type=int,
        default=None,
        help="repetitions per mode and fault of the failover run (default 20; --quick 2)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated throughput cases (default all: {', '.join(CASES)})",
    )
    parser.add_argument("--failover-modes", default="hot,cold", help="comma-separated: hot, cold")
    parser.add_argument(
        "--failover-faults", default="kill,stall,hang", help="comma-separated: kill, stall, hang"
    )
    args = parser.parse_args()
    if args.only != "failover":
        throughput(args)
    if args.only != "throughput":
        failover_run(args)


def failover_run(args: argparse.Namespace) -> None:
    reps = args.failover_reps if args.failover_reps is not None else (2 if args.quick else 20)
    modes = [m for m in args.failover_modes.split(",") if m]
    faults = [f for f in args.failover_faults.split(",") if f]
    unknown = [*set(modes) - set(failover.MODES), *set(faults) - set(failover.FAULTS)]
    if unknown:
        raise SystemExit(f"python -m bench: unknown failover mode or fault: {unknown}")
    rows = failover.run(reps, modes, faults)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    generated = (
        f"{FAILOVER_BEGIN}\n_Generated by `make bench` on {stamp}, {reps} repetitions per row"
        f"{' (--quick)' if args.quick else ''}._\n\n**Machine:** {machine()}\n\n"
        f"{failover.table(rows)}\n{FAILOVER_END}"
    )
    print(generated)
    if not args.no_write:
        write_section(FAILOVER_BEGIN, FAILOVER_END, generated)


def write_section(begin: str, end: str, generated: str) -> None:
    """Replace the text between ``begin`` and ``end`` (appended when absent)."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin not in text:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    DOC.write_text(head + generated + tail)
    print(f"wrote {DOC}")


def throughput(args: argparse.Namespace) -> None:
    seconds = 3.0 if args.quick else 10.0
    chosen = [c for c in args.cases.split(",") if c]
    unknown = set(chosen) - set(CASES)
    if unknown:
        raise SystemExit(f"python -m bench: unknown case(s) {sorted(unknown)}; know {list(CASES)}")
    sections: list[str] = []
    hub_runs: list[Result] = []
    for case in chosen:
        title, makers = CASES[case]
        print(f"== {title}", flush=True)
        results = []
        for make in makers(seconds):
            result = make()
            print(f"   {result}", flush=True)
            results.append(result)
        raw = results[0]
        table = "\n".join([HEADER, *(row(r, raw if r is not raw else None) for r in results)])
        stages = "".join(
            f"\n_{r.name}, where the time goes (p50 / p99 ms):_ "
            + "; ".join(f"{k} {p50:.2f} / {p99:.2f}" for k, (p50, p99) in r.stages_ms.items())
            + "\n"
            for r in results
            if r.stages_ms
        )
        notes = "".join(f"\n_{r.name}: {note}._\n" for r in results for note in r.notes)
        memory = "".join(
            f"\n_{r.name}, resident memory with {r.contracts:,} contracts (MB):_ "
            + " · ".join(f"{role} {mb:.0f}" for role, mb in r.rss_mb.items())
            + "\n"
            for r in results
            if r.contracts and r.rss_mb
        )
        sections.append(f"### {title}\n\n{table}\n{stages}{notes}{memory}")
        hub_runs.extend(r for r in results if r.contracts and r.rss_mb)
    if any(len({r.contracts for r in hub_runs if r.name == run.name}) > 1 for run in hub_runs):
        sections.append(per_contract_memory(hub_runs))
    sections.append("### The universe's own work\n\n" + universe.timings())

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    generated = (
        f"{BEGIN}\n_Generated by `make bench` on {stamp}{' (--quick)' if args.quick else ''}._\n\n"
        f"**Machine:** {machine()}\n\n" + "\n".join(sections) + f"\n{END}"
    )
    print(generated)
    if not args.no_write:
        write_section(BEGIN, END, generated)


def per_contract_memory(runs: list[Result]) -> str:
    """Memory per contract: the resident memory's growth from the run with the fewest
    contracts to the one with the most among runs of the same processes (the same
    name: as many workers), per contract, for each process role."""
    by_name: dict[str, list[Result]] = {}
    for run in runs:
        by_name.setdefault(run.name, []).append(run)
    same = max(
        by_name.values(), key=lambda rs: max(r.contracts for r in rs) - min(r.contracts for r in rs)
    )
    small = min(same, key=lambda r: r.contracts)
    large = max(same, key=lambda r: r.contracts)
    more = large.contracts - small.contracts
    cells = " · ".join(
        f"{role} {(large.rss_mb[role] - small.rss_mb.get(role, 0.0)) * 1024 / more:.1f}"
        for role in large.rss_mb
    )
    return (
        "### Memory per contract\n\n"
        f"From {small.contracts:,} to {large.contracts:,} contracts ({small.name} → "
        f"{large.name}), resident memory grew by, in KB per contract: {cells}. Under burst "
        "load, so queues in flight are counted too: an upper bound.\n"
    )


if __name__ == "__main__":
    main()
