"""examples/zmq_client.py is what docs/zmq.md shows, fits the contract, and works."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import re
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import get_type_hints

import zmq
from nats.aio.client import Client

from tickhub_contracts import zeromq
from tickhub_contracts.messages import Tick
from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .publisher.feed import RB, Routing, send_tick, tick

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "zmq_client.py"
DOC = ROOT / "docs" / "zmq.md"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zmq_client_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # msgspec resolves the annotations through it
    spec.loader.exec_module(module)
    return module


def test_the_doc_shows_the_example_file_verbatim() -> None:
    text = DOC.read_text()
    match = re.search(
        r"<!-- examples/zmq_client.py: begin -->\n```python\n(.*?)```\n"
        r"<!-- examples/zmq_client.py: end -->",
        text,
        re.DOTALL,
    )
    assert match, "docs/zmq.md lost its copy of examples/zmq_client.py"
    assert match.group(1) == EXAMPLE.read_text()


def test_the_doc_describes_every_payload_field() -> None:
    text = DOC.read_text()
    for name in Tick.__struct_fields__:
        level = re.match(r"(bid|ask)_(price|volume)_(\d)$", name)
        if level:  # the five levels share a row: `bid_price_1` ... `bid_price_5`
            shown = (
                f"`{level.group(1)}_{level.group(2)}_1` ... `{level.group(1)}_{level.group(2)}_5`"
            )
            assert shown in text, name
        else:
            assert f"`{name}`" in text, name


def test_the_examples_tick_is_the_contracts_tick() -> None:
    example = load_example().Tick
    assert example.__struct_fields__ == Tick.__struct_fields__
    assert example.__struct_defaults__ == Tick.__struct_defaults__
    theirs, ours = get_type_hints(example), get_type_hints(Tick)
    assert {k: theirs[k] for k in example.__struct_fields__} == {
        k: ours[k] for k in Tick.__struct_fields__
    }


async def run_example(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_example_prints_ticks_from_a_real_publisher(
    settings: Settings, nc: Client
) -> None:
    publisher = Publisher(settings, service_logs=False)
    await publisher.start()
    try:
        # Routed as the failover service would: sim-a's ticks of RB may go out.
        await (await Routing.open(nc)).put(RB, "sim-a")
        process = await run_example("--endpoint", publisher.endpoint, "--count", "5", RB)
        # Feed until the client has its five (it joins a moment after it starts).
        slot = 0
        communicate = asyncio.ensure_future(process.communicate())
        while not communicate.done() and slot < 1500:
            slot += 1
            await send_tick(nc, tick("sim-a", slot))
            await asyncio.sleep(0.02)
        out, err = await asyncio.wait_for(communicate, 30)
    finally:
        await publisher.stop()
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 5
    seqs = [int(re.search(r"seq=(\d+)", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert all(" rb2605.SHFE " in line and "source=sim-a" in line for line in lines)
    assert "GAP" not in out.decode()
    # 21:00:00 in Shanghai plus 500 ms per slot: printed on the exchange's clock
    assert lines[0].startswith("21:")


async def test_the_example_reports_gaps_and_restarts_and_stops_on_ctrl_c() -> None:
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind("tcp://127.0.0.1:0")
    endpoint = pub.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]
    process = await run_example("--endpoint", endpoint, RB)
    lines: list[str] = []

    async def line(limit_s: float) -> str | None:
        assert process.stdout is not None
        try:
            raw = await asyncio.wait_for(process.stdout.readline(), limit_s)
        except TimeoutError:
            return None
        lines.append(raw.decode().rstrip())
        return lines[-1]

    try:
        # Consecutive seqs until the client shows it has joined (no GAP among them).
        seq = 0
        while not lines and seq < 300:
            seq += 1
            pub.send_multipart([RB.encode(), payload(seq)])
            await line(0.1)
        assert lines, "the example never printed a tick"
        # A contract that only shares the prefix must not show up.
        pub.send_multipart([b"rb2605.SHFE2", payload(1, exchange="SHFE2")])
        for sent, epoch in ((seq + 1, EPOCH), (seq + 4, EPOCH), (seq + 5, EPOCH + 1)):
            # The last one follows in seq but comes from another run: a restart.
            pub.send_multipart([RB.encode(), payload(sent, epoch=epoch)])
        while not any("RESET" in text for text in lines):
            assert await line(10) is not None, lines
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        pub.close(0)
        context.term()
    assert process.returncode == 0
    assert not any("SHFE2" in text for text in lines)
    warm, tail = lines[:-3], lines[-3:]
    assert all("GAP" not in text and "RESET" not in text for text in warm)
    assert f"seq={seq + 1} " in tail[0] and "GAP" not in tail[0]
    assert f"seq={seq + 4} " in tail[1] and tail[1].endswith("GAP: missed 2")
    assert f"seq={seq + 5} " in tail[2] and tail[2].endswith("RESET: the publisher restarted")


EPOCH = 1_764_800_000_000


def payload(seq: int, symbol: str = "rb2605", exchange: str = "SHFE", epoch: int = EPOCH) -> bytes:
    t = Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=seq),
        source="sim-a",
        last_price=3500.0,
        seq=seq,
        epoch=epoch,
    )
    return zeromq.encode(t)
