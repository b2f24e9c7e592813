"""kv.BucketWriter against a real nats-server: it writes the newest value per key,
coalesces while the server is away (frozen or stopped), creates a deleted bucket
anew, converges on what was changed behind its back, and its flush is bounded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest
from nats.aio.client import Client
from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from tickhub_cli.natsserver import NatsServer
from tickhub_runtime import kv

BUCKET = "tickhub_test_writer"
TIMEOUT = 20.0
"""Generous: a reconnect after a freeze takes the ping timeout plus retries."""
LOGGER = "t.kvwriter"


async def until(condition: Callable[[], bool], what: str, within: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


async def bucket_of(nc: Client, name: str = BUCKET) -> KeyValue:
    """The bucket as another reader sees it; after a fault the client may need a
    moment to notice the server is back: ask again until it answers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        try:
            return await kv.open_bucket(nc, name, create=True)
        except Exception:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def value_of(nc: Client, key: str, name: str = BUCKET) -> bytes | None:
    bucket = await bucket_of(nc, name)
    try:
        entry = await bucket.get(key)
    except (KeyNotFoundError, KeyDeletedError):
        return None
    return entry.value


@pytest.fixture
async def writer(nc: Client) -> AsyncIterator[kv.BucketWriter]:
    w = kv.BucketWriter(
        nc,
        BUCKET,
        description="test",
        step_s=0.5,
        retry_s=0.1,
        max_retry_s=0.5,
        log=logging.getLogger(LOGGER),
    )
    w.start()
    yield w
    await w.close(1.0)


async def test_puts_and_deletes_land_and_flush_waits_for_them(
    nc: Client, writer: kv.BucketWriter
) -> None:
    writer.put("a", b"1")
    writer.put("b", b"2")
    writer.put("c", b"3")
    writer.put("c", None)
    assert writer.pending == ["a", "b", "c"]
    assert await writer.flush(TIMEOUT)
    assert writer.pending == []
    # flush returned only once the writes were acknowledged: they are there now.
    assert await value_of(nc, "a") == b"1"
    assert await value_of(nc, "b") == b"2"
    assert await value_of(nc, "c") is None
    assert dict(writer.values) == {"a": b"1", "b": b"2"}
    assert await writer.flush(0.1)  # nothing pending: at once


@pytest.mark.parametrize("fault", ["frozen", "stopped"])
async def test_many_puts_while_the_server_is_away_land_as_the_newest_value(
    nc: Client,
    nats_server: NatsServer,
    writer: kv.BucketWriter,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, LOGGER)
    writer.put("k", b"0")
    assert await writer.flush(TIMEOUT)
    writes = writer.writes
    port = nats_server.port
    if fault == "frozen":
        nats_server.freeze()
    else:
        nats_server.stop()
    try:
        writer.put("k", b"1")
        # The write of b"1" is tried and fails while the server is away ...
        await until(lambda: writer.failing, "a failed write")
        # ... and everything put meanwhile only replaces what is pending.
        for n in range(2, 100):
            writer.put("k", str(n).encode())
        assert writer.pending == ["k"]
        assert not await writer.flush(0.3)
        # Away long enough for the client to notice (frozen: its pings go unanswered),
        # so the writer also goes through a reconnect.
        await until(lambda: not nc.is_connected, "the client noticed the server is away")
        writer.put("k", b"100")
    finally:
        if fault == "frozen":
            nats_server.thaw()
        else:
            nats_server.requested_port = port
            nats_server.start()
    assert await writer.flush(TIMEOUT)
    assert await value_of(nc, "k") == b"100"
    assert not writer.failing
    # Coalesced: a hundred puts, a handful of writes (the newest, maybe a retry).
    assert writer.writes - writes <= 3
    assert writer.verifies >= 1  # and it read the bucket back after the failure
    # One WARNING for the failing spell, naming bucket and key; one INFO when back.
    ours = [r for r in caplog.records if r.name == LOGGER]
    warnings = [r for r in ours if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].getMessage().startswith(f"bucket {BUCKET}: cannot ")
    assert warnings[0].bucket == BUCKET  # type: ignore[attr-defined]
    infos = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert any(m.startswith(f"bucket {BUCKET}: written again after ") for m in infos)


async def test_a_deleted_bucket_is_created_anew_with_everything_in_it(
    nc: Client, writer: kv.BucketWriter
) -> None:
    writer.put("a", b"1")
    assert await writer.flush(TIMEOUT)
    await nc.jetstream().delete_key_value(BUCKET)
    writer.put("b", b"2")
    assert await writer.flush(TIMEOUT)
    assert writer.failures >= 1
    # Both keys: the one put now, and the one the deletion took (read back, rewritten).
    assert await value_of(nc, "b") == b"2"
    assert await value_of(nc, "a") == b"1"


async def test_without_create_it_waits_for_the_bucket_owner(nc: Client) -> None:
    name = "tickhub_test_writer_owned"
    writer = kv.BucketWriter(nc, name, create=False, step_s=0.5, retry_s=0.1, max_retry_s=0.3)
    try:
        writer.put("x", b"1")
        assert not await writer.flush(1.0)
        assert writer.failing and writer.pending == ["x"]
        await kv.open_bucket(nc, name, create=True)  # its owner makes it
        assert await writer.flush(TIMEOUT)
        assert await value_of(nc, "x", name) == b"1"
    finally:
        await writer.close(1.0)


async def test_flush_and_close_are_bounded_while_the_server_is_frozen(
    nc: Client, nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    writer = kv.BucketWriter(nc, BUCKET, step_s=0.5, log=logging.getLogger(LOGGER))
    writer.put("a", b"1")
    assert await writer.flush(TIMEOUT)
    loop = asyncio.get_running_loop()
    nats_server.freeze()
    try:
        writer.put("a", b"2")
        began = loop.time()
        assert not await writer.flush(0.5)
        assert loop.time() - began < 1.5
        began = loop.time()
        assert not await writer.close(0.5)
        assert loop.time() - began < 0.5 + writer.step_s + 1.0
    finally:
        nats_server.thaw()
    assert any(
        r.getMessage() == f"bucket {BUCKET}: 1 key(s) not written at close: a"
        for r in caplog.records
    )
    writer.put("a", b"3")  # closed: noted, never written
    assert not await writer.flush(0.1)


async def test_it_rewrites_what_was_changed_behind_its_back(nc: Client) -> None:
    writer = kv.BucketWriter(nc, BUCKET, step_s=0.5, retry_s=0.1, verify_s=0.2)
    try:
        writer.put("a", b"1")
        assert await writer.flush(TIMEOUT)
        bucket = await bucket_of(nc)
        await bucket.delete("a")
        await bucket.put("foreign", b"x")  # not its key, and it does not own the bucket
        verifies = writer.verifies
        await until(lambda: writer.verifies > verifies + 1, "two read-backs")
        assert await writer.flush(TIMEOUT)
        assert await value_of(nc, "a") == b"1"
        assert await value_of(nc, "foreign") == b"x"
    finally:
        await writer.close(1.0)


async def test_an_exclusive_writer_makes_the_bucket_its_table(nc: Client) -> None:
    bucket = await bucket_of(nc)
    await bucket.put("left-over", b"old")
    await bucket.put("kept", b"1")
    writer = kv.BucketWriter(nc, BUCKET, step_s=0.5, retry_s=0.1, verify_s=0.2, exclusive=True)
    try:
        assert await writer.load() == {"left-over": b"old", "kept": b"1"}
        writer.replace({"kept": b"1", "new": b"2"})
        assert writer.pending == ["left-over", "new"]  # "kept" is as it should be
        assert await writer.flush(TIMEOUT)
        assert await value_of(nc, "left-over") is None
        assert await value_of(nc, "new") == b"2"
        # A key someone else adds goes at the next read-back.
        await bucket.put("intruder", b"x")
        verifies = writer.verifies
        await until(lambda: writer.verifies > verifies + 1, "two read-backs")
        assert await writer.flush(TIMEOUT)
        assert await value_of(nc, "intruder") is None
        assert await value_of(nc, "kept") == b"1"
    finally:
        await writer.close(1.0)


async def test_an_invalid_key_is_given_up_and_the_others_written(
    nc: Client, writer: kv.BucketWriter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, LOGGER)
    writer.put("not a key", b"x")
    writer.put("ok", b"1")
    assert await writer.flush(TIMEOUT)
    assert writer.dropped == 1
    assert await value_of(nc, "ok") == b"1"
    (line,) = [r for r in caplog.records if r.name == LOGGER]
    assert line.getMessage() == (
        f"bucket {BUCKET}: key(s) not a key given up, never written: nats refuses it as a key"
    )
    assert line.key == "not a key"  # type: ignore[attr-defined]


async def test_max_attempts_gives_a_value_up_and_a_newer_put_tries_again(
    nc: Client,
) -> None:
    name = "tickhub_test_writer_missing"
    writer = kv.BucketWriter(
        nc, name, create=False, step_s=0.5, retry_s=0.05, max_retry_s=0.05, max_attempts=3
    )
    try:
        writer.put("x", b"1")
        assert await writer.flush(TIMEOUT)  # given up: nothing pending any more
        assert writer.dropped == 1 and writer.failures == 3
        await kv.open_bucket(nc, name, create=True)
        writer.put("x", b"2")
        assert await writer.flush(TIMEOUT)
        assert await value_of(nc, "x", name) == b"2"
    finally:
        await writer.close(1.0)
