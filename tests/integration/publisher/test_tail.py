"""`tickhub tail` (tickhub_cli.tail.run) as a user runs it: its own process, Ctrl-C."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import signal
import sys

import msgspec
import zmq
from nats.aio.client import Client

from tickhub_cli import tail
from tickhub_contracts import zeromq
from tickhub_contracts.messages import MainContract, Tick
from tickhub_publisher.app import Publisher
from tickhub_runtime.settings import Settings

from .feed import RB, SLOT0, Routing, send_tick, tick

LAUNCH = (
    "import sys; from tickhub_cli.tail import run; from tickhub_runtime.settings import "
    "Settings; sys.exit(run(Settings(_env_file=None), sys.argv[1:]))"
)


class Tail:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, zmq_pub: str, *symbols: str) -> Tail:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LAUNCH,
            *symbols,
            env={**os.environ, "TICKHUB_ZMQ_PUB": zmq_pub},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def line(self, limit_s: float) -> str | None:
        assert self.process.stdout is not None
        try:
            raw = await asyncio.wait_for(self.process.stdout.readline(), limit_s)
        except TimeoutError:
            return None
        if raw:
            self.lines.append(raw.decode().rstrip())
            return self.lines[-1]
        return None

    async def ctrl_c(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = await asyncio.wait_for(self.process.communicate(), 30)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode, err.decode()


def frame(seq: int, symbol: str = "rb2605", exchange: str = "SHFE") -> list[bytes]:
    t = Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=seq),
        source="sim-b",
        last_price=3500.0 + seq,
        bid_price_1=3499.0,
        bid_volume_1=3,
        ask_price_1=None,
        volume=100.0 + seq,
        seq=seq,
    )
    return [zeromq.topic(t.vt_symbol), zeromq.encode(t)]


async def test_tail_prints_only_its_contracts_marks_gaps_and_resets_and_exits_0_on_ctrl_c() -> None:
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind("tcp://127.0.0.1:0")
    port = pub.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1]  # type: ignore[union-attr]
    # Bound to every interface as a user would configure it: tail must use loopback.
    running = await Tail.start(f"tcp://0.0.0.0:{port}", RB)
    try:
        seq = 0
        while not running.lines and seq < 300:  # until tail has joined
            seq += 1
            pub.send_multipart(frame(seq))
            await running.line(0.1)
        assert running.lines, "tail never printed a tick"
        pub.send_multipart(frame(1, exchange="SHFE2"))  # shares the prefix only
        pub.send_multipart(frame(1, symbol="au2602"))  # not asked for
        for sent in (seq + 1, seq + 4, 1):
            pub.send_multipart(frame(sent))
        while not any("RESET" in text for text in running.lines):
            assert await running.line(10) is not None, running.lines
        code, err = await running.ctrl_c()
    finally:
        pub.close(0)
        context.term()
    assert code == 0, err
    assert "Traceback" not in err
    assert f"tcp://127.0.0.1:{port}" in err  # it says where it listens
    lines = running.lines
    assert all(" rb2605.SHFE " in text for text in lines)
    last = lines[-3:]
    assert f"seq={seq + 1} " in last[0] and not last[0].endswith(("GAP +2", "RESET"))
    assert f"seq={seq + 4} " in last[1] and last[1].endswith("GAP +2")
    assert "seq=1 " in last[2] and last[2].endswith("RESET")
    # time on the exchange's clock, source, prices (None shown as -), volume
    assert last[0].startswith("11-24 21:")
    for part in ("sim-b", f"last={3500 + seq + 1}", "bid=3499x3", "ask=-x0", f"vol={101 + seq}"):
        assert part in last[0], (part, last[0])


async def test_tail_shows_an_alias_with_its_contract_and_its_announcements() -> None:
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind("tcp://127.0.0.1:0")
    endpoint = pub.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]

    def main(vt_symbol: str, previous: str) -> list[bytes]:
        announced = MainContract(
            alias="rb888.SHFE",
            vt_symbol=vt_symbol,
            trading_day=dt.date(2026, 11, 26),
            decided_at=dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC),
            previous=previous,
            reason="the rule's words",
        )
        return [zeromq.main_contract_topic("rb888.SHFE"), msgspec.msgpack.encode(announced)]

    def alias(seq: int, symbol: str) -> list[bytes]:
        return [b"rb888.SHFE", frame(seq, symbol)[1]]

    running = await Tail.start(endpoint, "rb888.SHFE")
    everything = await Tail.start(endpoint)
    try:
        seq = 0
        while not (running.lines and everything.lines) and seq < 300:  # until both joined
            seq += 1
            pub.send_multipart(alias(seq, "rb2605"))
            await running.line(0.05)
            await everything.line(0.05)
        pub.send_multipart(main("rb2610.SHFE", "rb2605.SHFE"))
        pub.send_multipart(alias(3, "rb2610"))  # another contract's seq: no RESET
        pub.send_multipart([b"#other.thing", b"\x01not msgpack of anything known"])
        pub.send_multipart(alias(4, "rb2610"))
        for tail_ in (running, everything):
            while not any("seq=4 " in text for text in tail_.lines):
                assert await tail_.line(10) is not None, tail_.lines
        results = [await running.ctrl_c(), await everything.ctrl_c()]
    finally:
        pub.close(0)
        context.term()
    for code, err in results:
        assert code == 0, err
        assert "undecodable" not in err and "Traceback" not in err
    for tail_ in (running, everything):
        lines = tail_.lines
        assert "rb888.SHFE=rb2605.SHFE seq=" in lines[0]
        announced = [text for text in lines if " MAIN " in text]
        assert len(announced) == 1
        assert "rb888.SHFE" in announced[0] and "MAIN rb2610.SHFE for 2026-11-26" in announced[0]
        assert "(was rb2605.SHFE): the rule's words" in announced[0]
        after = lines[lines.index(announced[0]) + 1 :]
        assert [text.split()[2] for text in after] == ["rb888.SHFE=rb2610.SHFE"] * 2
        assert not any(text.endswith(("RESET", "GAP +1")) for text in after)


async def test_tail_shows_what_the_publisher_forwards(
    settings: Settings, nc: Client, routing: Routing
) -> None:
    endpoint_settings = settings.model_copy(update={"zmq_pub": "tcp://127.0.0.1:0"})
    publisher = Publisher(endpoint_settings, service_logs=False)
    await publisher.start()
    try:
        running = await Tail.start(publisher.endpoint)  # no symbol: every contract
        await routing.put(RB, "sim-a")
        slot = 0
        # Until tail has joined: ticks a millisecond apart, far from the five seconds
        # of exchange time after which the publisher makes rb2605 the main contract.
        while not running.lines and slot < 300:
            slot += 1
            await send_tick(
                nc, tick("sim-a", slot, datetime=SLOT0 + dt.timedelta(milliseconds=slot))
            )
            await running.line(0.1)

        def aliased() -> list[str]:
            return [text for text in running.lines if "rb888.SHFE=" in text]

        # Then half a second apart, until a few came under the alias too.
        start = SLOT0 + dt.timedelta(seconds=1)
        for k in range(1, 300):
            if len(aliased()) >= 3:
                break
            slot += 1
            await send_tick(nc, tick("sim-a", slot, datetime=start + k * dt.timedelta(seconds=0.5)))
            await running.line(0.1)
        code, err = await running.ctrl_c()
    finally:
        await publisher.stop()
    assert code == 0, err
    lines = running.lines
    ticks = [text for text in lines if " MAIN " not in text]
    assert len(ticks) >= 6
    assert all("rb2605.SHFE" in text and "sim-a" in text for text in ticks)
    assert not any("GAP" in text or "RESET" in text for text in lines)
    [announced] = [k for k, text in enumerate(lines) if " MAIN " in text]
    assert "rb888.SHFE" in lines[announced] and "MAIN rb2605.SHFE" in lines[announced]
    first_alias = lines.index(aliased()[0])
    assert announced < first_alias


def test_bad_arguments_are_one_line_errors_with_code_2() -> None:
    err = io.StringIO()
    settings = Settings(zmq_pub="tcp://127.0.0.1:5555", _env_file=None)
    assert tail.run(settings, ["rb2605"], err=err) == 2
    assert "SYMBOL.EXCHANGE" in err.getvalue()
    err = io.StringIO()
    unbound = Settings(zmq_pub="tcp://127.0.0.1:0", _env_file=None)
    assert tail.run(unbound, [], err=err) == 2
    assert "no fixed port" in err.getvalue()
