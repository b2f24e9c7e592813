"""kv.Mirror against a real nats-server: it follows the bucket live and converges
after the server was restarted, crashed (its store changed meanwhile) or frozen."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js.kv import KeyValue

from tickhub_cli.natsserver import NatsServer
from tickhub_runtime import bus, kv
from tickhub_runtime.settings import Settings

BUCKET = "tickhub_test_mirror"
TIMEOUT = 20.0
"""Generous: a reconnect after a freeze takes the ping timeout plus retries."""


def decode(raw: bytes) -> str:
    return raw.decode()


async def until(condition: Callable[[], bool], what: str, within: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


class Rig:
    """A server, a writer client and a mirror on their own client."""

    def __init__(self, server: NatsServer, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.changes: list[tuple[str, str | None]] = []
        self.writer: Client | None = None
        self.reader: Client | None = None
        self.mirror: kv.Mirror[str] | None = None

    async def start(self) -> None:
        self.writer = await bus.connect(self.settings, "writer", first_connect_s=10)
        self.reader = await bus.connect(self.settings, "reader", first_connect_s=10)
        await self.bucket()  # the writer creates it; the mirror only binds
        self.mirror = kv.Mirror(
            self.reader, BUCKET, decode, on_change=lambda k, v: self.changes.append((k, v))
        )
        self.mirror.start()
        await asyncio.wait_for(self.mirror.ready.wait(), TIMEOUT)

    async def bucket(self) -> KeyValue:
        """The writer's bucket; after a fault its client may not have noticed the
        server went away yet (a request then times out): ask again until it answers."""
        assert self.writer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            try:
                return await kv.open_bucket(self.writer, BUCKET, create=True)
            except Exception:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def converged(self, expected: dict[str, str], what: str) -> None:
        mirror = self.mirror
        assert mirror is not None
        await until(lambda: mirror.values == expected, f"{what}: mirror {mirror.values}")

    async def close(self) -> None:
        if self.mirror is not None:
            await self.mirror.close()
        for client in (self.reader, self.writer):
            if client is not None and not client.is_closed:
                await asyncio.wait_for(client.close(), 5)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    server = NatsServer(tmp_path / "nats").start()
    settings = Settings(nats_url=server.url, data_dir=tmp_path, _env_file=None)
    rig = Rig(server, settings)
    try:
        await rig.start()
        yield rig
    finally:
        await rig.close()
        server.stop()


async def test_the_mirror_follows_puts_and_deletes(rig: Rig) -> None:
    bucket = await rig.bucket()
    await bucket.put("a", b"1")
    await bucket.put("b", b"2")
    await rig.converged({"a": "1", "b": "2"}, "two puts")
    await bucket.put("a", b"10")
    await bucket.delete("b")
    await rig.converged({"a": "10"}, "an update and a delete")
    await bucket.purge("a")
    await rig.converged({}, "a purge")
    assert rig.changes == [("a", "1"), ("b", "2"), ("a", "10"), ("b", None), ("a", None)]
    assert rig.mirror is not None and rig.mirror.resyncs == 0


async def changed_while_away(rig: Rig, tmp_path: Path) -> None:
    """Change the bucket while the mirror cannot see it: another server on the same
    store, on another port, that the mirror's client does not know."""
    other = NatsServer(rig.server.store_dir).start()
    try:
        settings = Settings(nats_url=other.url, data_dir=tmp_path, _env_file=None)
        nc = await bus.connect(settings, "away", first_connect_s=10)
        try:
            bucket = await kv.open_bucket(nc, BUCKET, create=False)
            await bucket.put("a", b"changed")
            await bucket.delete("b")
            await bucket.put("c", b"new")
        finally:
            await nc.close()
    finally:
        other.stop()


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
async def test_the_mirror_converges_on_what_changed_while_the_server_was_down(
    rig: Rig, tmp_path: Path, kill: bool
) -> None:
    bucket = await rig.bucket()
    await bucket.put("a", b"1")
    await bucket.put("b", b"2")
    await rig.converged({"a": "1", "b": "2"}, "before")
    assert rig.mirror is not None and rig.reader is not None
    resyncs = rig.mirror.resyncs
    port = rig.server.port
    if kill:
        rig.server.kill()
    else:
        rig.server.stop()
    await changed_while_away(rig, tmp_path)
    rig.server.requested_port = port
    rig.server.start()
    await rig.converged({"a": "changed", "c": "new"}, "after the restart")
    assert rig.mirror.resyncs > resyncs
    assert ("b", None) in rig.changes
    # And it follows live again.
    bucket = await rig.bucket()
    await bucket.put("d", b"live")
    await rig.converged({"a": "changed", "c": "new", "d": "live"}, "live after the restart")


async def test_the_mirror_converges_when_the_store_was_lost(rig: Rig) -> None:
    bucket = await rig.bucket()
    await bucket.put("a", b"1")
    await rig.converged({"a": "1"}, "before")
    assert rig.mirror is not None
    resyncs = rig.mirror.resyncs
    rig.server.kill()
    shutil.rmtree(rig.server.store_dir / "jetstream")
    rig.server.requested_port = rig.server.port
    rig.server.start()
    # The bucket is gone until its writer makes it again, with other content.
    bucket = await rig.bucket()
    await bucket.put("z", b"26")
    await rig.converged({"z": "26"}, "a new store")
    assert rig.mirror.resyncs > resyncs
    assert ("a", None) in rig.changes


async def test_the_mirror_converges_after_the_server_was_frozen(rig: Rig) -> None:
    bucket = await rig.bucket()
    await bucket.put("a", b"1")
    await rig.converged({"a": "1"}, "before")
    assert rig.mirror is not None and rig.reader is not None
    reconnects = rig.reader.stats["reconnects"]
    resyncs = rig.mirror.resyncs
    rig.server.freeze()
    try:
        await asyncio.sleep(5.0)  # the fault itself: a server that answers nothing for 5 s
    finally:
        rig.server.thaw()
    bucket = await rig.bucket()
    await bucket.put("a", b"2")
    await bucket.put("b", b"3")
    await rig.converged({"a": "2", "b": "3"}, "after the freeze")
    # 5 s of silence is past the client's ping timeout: it reconnected and re-read.
    reader = rig.reader
    await until(lambda: reader.stats["reconnects"] > reconnects, "the reader reconnected")
    await until(lambda: rig.mirror is not None and rig.mirror.resyncs > resyncs, "a resync")


async def test_a_value_that_does_not_decode_is_a_deleted_key_for_the_reader(rig: Rig) -> None:
    def strict(raw: bytes) -> str:
        if not raw.isdigit():
            raise ValueError(f"not a number: {raw!r}")
        return raw.decode()

    assert rig.reader is not None
    changes: list[tuple[str, str | None]] = []
    mirror = kv.Mirror(rig.reader, BUCKET, strict, on_change=lambda k, v: changes.append((k, v)))
    mirror.start()
    try:
        bucket = await rig.bucket()
        await bucket.put("a", b"1")
        await until(lambda: mirror.values == {"a": "1"}, "a number")
        await bucket.put("a", b"garbage")
        await until(lambda: ("a", None) in changes, "the reader told the key is gone")
        assert mirror.values == {}
        await bucket.put("a", b"2")
        await until(lambda: mirror.values == {"a": "2"}, "a number again")
        assert changes == [("a", "1"), ("a", None), ("a", "2")]
    finally:
        await mirror.close()
