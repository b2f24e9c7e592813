"""examples/node/client.mjs against a real publisher: the snapshot first, then every
live tick once and in order, a gap (its connection cut) filled from the recovery
endpoint, and a restarted publisher (another epoch) recognised.

The client runs as desks run it, ``node client.mjs ...`` with the packages `make setup`
installs in examples/node/node_modules; its stdout is one JSON line per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from tickhub_harness.tcp_proxy import TcpProxy
from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .publisher.feed import RB, SLOT0, Routing, send_tick, tick, until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "node"
CLIENT = EXAMPLE / "client.mjs"


def required() -> bool:
    """TICKHUB_E2E_REQUIRED (CI sets it): the node side must run, never skip."""
    value = os.environ.get("TICKHUB_E2E_REQUIRED", "").strip().lower()
    return value not in ("", "0", "false", "no")


@pytest.fixture
def node() -> str:
    """The node binary, with the example's packages installed (by `make setup`)."""
    path = shutil.which("node")
    if path is None:
        missing = "node not found (Node 20 is a requirement)"
    elif not (EXAMPLE / "node_modules" / "zeromq").is_dir():
        missing = "examples/node/node_modules missing (`make setup` runs npm ci there)"
    else:
        return path
    if required():
        pytest.fail(f"{missing}; TICKHUB_E2E_REQUIRED is set")
    pytest.skip(f"{missing}; TICKHUB_E2E_REQUIRED=1 makes this a failure")


@pytest.fixture
async def routing(nc: Client) -> Routing:
    """The routing bucket, written as the failover service would."""
    return await Routing.open(nc)


async def within(condition: Callable[[], bool], limit_s: float) -> bool:
    """Whether ``condition`` holds within ``limit_s`` s (checked every 10 ms)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


class NodeClient:
    """``node client.mjs`` as a subprocess: its JSON lines and its stderr, read as
    they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        assert process.stdout is not None and process.stderr is not None
        self._readers = [
            asyncio.ensure_future(self._read(process.stdout, self._line)),
            asyncio.ensure_future(self._read(process.stderr, self.stderr.append)),
        ]

    @classmethod
    async def start(cls, node: str, *args: str) -> NodeClient:
        process = await asyncio.create_subprocess_exec(
            node,
            str(CLIENT),
            *args,
            cwd=EXAMPLE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    @staticmethod
    async def _read(stream: asyncio.StreamReader, keep: Callable[[str], None]) -> None:
        while raw := await stream.readline():
            keep(raw.decode().rstrip("\n"))

    def _line(self, text: str) -> None:
        self.lines.append(json.loads(text))  # anything but JSON on stdout fails the test

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    @property
    def seqs(self) -> list[int]:
        return [line["seq"] for line in self.lines]

    def printed(self, seq: int, epoch: int | None = None) -> bool:
        return any(
            line["seq"] >= seq and (epoch is None or line["epoch"] == epoch) for line in self.lines
        )

    async def wait_for(self, condition: Callable[[], bool], what: str, limit_s: float = 15) -> None:
        if not await within(lambda: condition() or not self.running, limit_s) or not condition():
            raise AssertionError(f"{what}: not within {limit_s} s; {self.report()}")

    async def finish(self, limit_s: float = 30) -> int:
        """Wait for it to exit (then every line it wrote is read)."""
        code = await asyncio.wait_for(self.process.wait(), limit_s)
        await asyncio.wait_for(asyncio.gather(*self._readers), limit_s)
        return code

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await self.finish()

    async def kill(self) -> None:
        if self.running:
            self.process.kill()
            await self.process.wait()
        for reader in self._readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    def report(self) -> str:
        return f"seqs {self.seqs}; stderr: {' | '.join(self.stderr)}"


class Feed:
    """The gateway's side: sim-a's ticks of RB over NATS, slot after slot."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.slot = 0

    async def send(self, n: int = 1) -> None:
        for _ in range(n):
            self.slot += 1
            await send_tick(self.nc, tick("sim-a", self.slot))

    async def until_printed(self, client: NodeClient, done: Callable[[], bool], what: str) -> None:
        """Send one tick at a time, giving the client up to 0.5 s to print each (a tick
        its subscription missed comes with the next, as a fill), until ``done``."""
        for _ in range(200):
            if done() or not client.running:
                break
            await self.send()
            await within(lambda: client.printed(self.slot) or not client.running, 0.5)
        await client.wait_for(done, what, limit_s=1)


async def publishing(settings: Settings, routing: Routing, feed: Feed, ticks: int) -> Publisher:
    """A publisher, routed to sim-a for RB, that has sent ``ticks`` ticks of it."""
    publisher = Publisher(settings, service_logs=False)
    await publisher.start()
    await routing.put(RB, "sim-a")
    await until(lambda: publisher.bridge is not None and RB in publisher.bridge.table, what="route")
    start = sent(publisher)
    await feed.send(ticks)
    await until(lambda: sent(publisher) >= start + ticks, what=f"{ticks} ticks sent")
    return publisher


def sent(publisher: Publisher) -> int:
    """The seq of the last tick of RB the publisher sent (0: none yet)."""
    assert publisher.bridge is not None
    ring = publisher.bridge.rings.get(RB)
    return ring.seq if ring is not None else 0


def utc_iso(slot: int) -> str:
    at = (SLOT0 + dt.timedelta(milliseconds=500 * slot)).astimezone(dt.UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_the_snapshot_comes_first_then_every_live_tick_once_in_order(
    node: str, settings: Settings, nc: Client, routing: Routing
) -> None:
    feed = Feed(nc)
    publisher = await publishing(settings, routing, feed, 5)
    client: NodeClient | None = None
    try:
        assert publisher.bridge is not None
        epoch = publisher.bridge.epoch
        client = await NodeClient.start(
            node,
            *("--pub", publisher.endpoint, "--recovery", publisher.recovery_endpoint),
            *("--count", "12", RB),
        )
        await client.wait_for(lambda: len(client.lines) >= 1, "the snapshot")
        await feed.until_printed(client, lambda: len(client.lines) >= 12, "12 ticks")
        assert await client.finish() == 0, client.report()
    finally:
        if client is not None:
            await client.kill()
        await publisher.stop()

    lines = client.lines
    assert len(lines) == 12, client.report()
    first = lines[0]
    assert first["snapshot"] is True and first["filled"] is False
    assert first["seq"] == 5 and first["volume"] == 5.0 and first["last_price"] == 3505.0
    assert first["datetime"] == utc_iso(5) == "2026-11-24T13:00:02.500Z"
    assert client.seqs == list(range(5, 17)), client.report()  # no hole, none twice
    assert not any(line["snapshot"] for line in lines[1:])
    assert lines[-1]["filled"] is False  # live by then (a fill only covers the join)
    for line in lines:
        assert line["vt_symbol"] == line["topic"] == RB
        assert line["epoch"] == epoch and line["source"] == "sim-a"
        assert line["datetime"] == utc_iso(line["seq"])
        assert line["volume"] == float(line["seq"])


async def test_ticks_missed_while_the_connection_was_cut_are_filled_in_order(
    node: str, settings: Settings, nc: Client, routing: Routing
) -> None:
    # Replies of 3 ticks at most: the fill takes several requests.
    small = settings.model_copy(update={"recovery_max_ticks": 3})
    feed = Feed(nc)
    publisher = await publishing(small, routing, feed, 3)
    proxy = TcpProxy(publisher.endpoint)
    client: NodeClient | None = None
    try:
        client = await NodeClient.start(
            node, "--pub", proxy.endpoint, "--recovery", publisher.recovery_endpoint, RB
        )
        await client.wait_for(lambda: len(client.lines) >= 1, "the snapshot")
        await feed.until_printed(client, lambda: len(client.lines) >= 4, "3 live ticks")

        proxy.cut()  # from here no tick reaches the client's SUB socket
        await feed.send(8)
        missed = range(feed.slot - 7, feed.slot + 1)
        await until(lambda: sent(publisher) == missed[-1], what="the missed ticks sent")
        served = publisher.recovery.served if publisher.recovery else 0
        proxy.restore()  # ZeroMQ reconnects; the next live tick shows the jump
        last = missed[-1] + 3
        await feed.until_printed(client, lambda: client.printed(last), f"seq {last}")
        assert await client.stop() == 0, client.report()  # SIGTERM: a clean exit
        assert publisher.recovery is not None
        requests = publisher.recovery.served - served
    finally:
        if client is not None:
            await client.kill()
        proxy.close()
        await publisher.stop()

    lines = client.lines
    assert lines[0]["snapshot"] is True and lines[0]["seq"] == 3
    assert client.seqs == list(range(3, client.seqs[-1] + 1)), client.report()
    assert client.seqs[-1] >= last
    filled = {line["seq"] for line in lines if line["filled"]}
    assert set(missed) <= filled, client.report()
    assert lines[-1]["filled"] is False
    assert any("missed seq" in text for text in client.stderr), client.report()
    assert requests >= 3  # at least 8 ticks to fill, 3 per reply


async def test_a_restarted_publisher_is_recognised_by_its_epoch(
    node: str, settings: Settings, nc: Client, routing: Routing
) -> None:
    feed = Feed(nc)
    first = await publishing(settings, routing, feed, 3)
    running = [first]
    pub = TcpProxy(first.endpoint)
    recovery = TcpProxy(first.recovery_endpoint)
    client: NodeClient | None = None
    try:
        assert first.bridge is not None
        old_epoch = first.bridge.epoch
        client = await NodeClient.start(
            node, "--pub", pub.endpoint, "--recovery", recovery.endpoint, RB
        )
        await client.wait_for(lambda: len(client.lines) >= 1, "the snapshot")
        await feed.until_printed(client, lambda: len(client.lines) >= 3, "2 live ticks")

        await first.stop()  # then a new run: its seqs start again at 1
        running.remove(first)
        second = await publishing(settings, routing, feed, 0)
        running.append(second)
        assert second.bridge is not None
        new_epoch = second.bridge.epoch
        pub.retarget(second.endpoint)
        recovery.retarget(second.recovery_endpoint)
        await feed.until_printed(client, lambda: client.printed(4, new_epoch), "seq 4, new epoch")
        assert await client.stop() == 0, client.report()
    finally:
        if client is not None:
            await client.kill()
        pub.close()
        recovery.close()
        for publisher in running:
            await publisher.stop()

    assert new_epoch != old_epoch
    old = [line["seq"] for line in client.lines if line["epoch"] == old_epoch]
    new = [line["seq"] for line in client.lines if line["epoch"] == new_epoch]
    assert len(old) + len(new) == len(client.lines)
    assert old == list(range(3, old[-1] + 1)), client.report()
    assert new == list(range(1, new[-1] + 1)), client.report()  # the new run from its seq 1
    assert any("restarted" in text for text in client.stderr), client.report()
