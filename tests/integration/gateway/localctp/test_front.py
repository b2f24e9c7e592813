"""``tickhub ctp-front`` over real sockets: the session a library sees, the sim's
records with exact content, snapshots, faults, the control port and the command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import msgspec
import pytest

from tests.integration.cli.running import TICKHUB, Output, tickhub
from tests.integration.gateway.localctp.conftest import (
    SETTINGS,
    TIMEOUT,
    Connect,
    FrontClient,
    StartFront,
    record,
    record_slot,
    record_time,
)
from tickhub_cli.ports import free_port
from tickhub_gateway.localctp import protocol
from tickhub_gateway.localctp.front import control, days
from tickhub_gateway.localctp.front.feed import SLOT_NS, SimMarket
from tickhub_gateway.localctp.front.replay import load
from tickhub_gateway.localctp.front.server import FrontServer
from tickhub_gateway.localctp.protocol import DepthMarketData, Message, RspUserLogin, to_struct
from tickhub_gateway.sources.sim import listings

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).parents[4] / "examples" / "ctp-replay-sample.csv"
INVALID_LOGIN_GB18030 = "CTP:不合法的登录".encode("gb18030")
MARKET = SimMarket(SETTINGS.contracts, SETTINGS.seed)


def is_md(instrument: str) -> Callable[[Message], bool]:
    return lambda m: m.type == protocol.MD and m.get("InstrumentID") == instrument


async def logged_in(connect: Connect, front: FrontServer) -> FrontClient:
    client = await connect(front.port)
    answer = await client.login()
    assert answer.get("ErrorID") == "0", answer
    return client


# --- the session ------------------------------------------------------------------------


async def test_the_front_greets_first_with_the_link_settings(front: FrontServer, connect: Connect):
    client = await connect(front.port)
    hello = await client.hello()
    assert client.received[0].raw == (
        b"HELLO\tprotocol=1\tfront=tickhub-ctp-front\theartbeat_s=1\ttimeout_s=3\n"
    )
    assert hello.fields == {
        "protocol": "1",
        "front": "tickhub-ctp-front",
        "heartbeat_s": "1",
        "timeout_s": "3",
    }
    await client.wait_for(lambda m: m.type == protocol.HB)  # then heartbeats


@pytest.mark.parametrize(
    ("broker", "user", "password", "why"),
    [
        ("9999", "rehearsal", "wrong-pass", "wrong password"),
        ("9999", "someone", "rehearsal", "wrong user"),
        ("8888", "rehearsal", "rehearsal", "wrong broker"),
    ],
)
async def test_a_wrong_login_gets_ctps_invalid_login_in_gb18030(
    front: FrontServer,
    connect: Connect,
    caplog: pytest.LogCaptureFixture,
    broker: str,
    user: str,
    password: str,
    why: str,
):
    caplog.set_level(logging.INFO)
    client = await connect(front.port)
    answer = await client.login(password=password, broker=broker, user=user, request_id=7)
    assert answer.fields == {
        "request_id": "7",
        "ErrorID": "3",
        "ErrorMsg": "CTP:不合法的登录",
        "BrokerID": broker,
        "UserID": user,
    }
    raw = next(r.raw for r in client.received if r.message.type == protocol.RSP_LOGIN)
    assert b"\tErrorMsg=" + INVALID_LOGIN_GB18030 + b"\t" in raw
    assert f"login rejected ({why})" in caplog.text
    assert "wrong-pass" not in caplog.text  # never a password in the log
    # The connection stays; a right login then works, as on CTP.
    assert (await client.login(request_id=8)).get("ErrorID") == "0"
    assert front.counters.logins_rejected == 1 and front.counters.logins_ok == 1


async def test_a_login_answers_the_trading_day_and_each_exchanges_clock(
    front: FrontServer, connect: Connect
):
    before = days.trading_day(front.shared.clock())
    first = await connect(front.port)
    second = await connect(front.port)
    answers = [
        to_struct(RspUserLogin, (await client.login(request_id=n)).fields)
        for n, client in enumerate((first, second), start=1)
    ]
    after = days.trading_day(front.shared.clock())
    for answer in answers:
        assert answer.TradingDay in {days.ctp_date(before), days.ctp_date(after)}
        assert (answer.BrokerID, answer.UserID) == ("9999", "rehearsal")
        assert (answer.SystemName, answer.FrontID, answer.MaxOrderRef) == (
            "tickhub-ctp-front",
            1,
            "1",
        )
        clock = answer.LoginTime
        assert len(clock) == 8 and clock[2] == clock[5] == ":"
        assert [answer.SHFETime, answer.DCETime, answer.CZCETime, answer.FFEXTime,
                answer.INETime, answer.GFEXTime] == [clock] * 6  # fmt: skip
    assert answers[0].SessionID != answers[1].SessionID
    rsp = first.messages(kind=protocol.RSP_LOGIN)[0]
    assert list(rsp.fields)[:3] == ["request_id", "ErrorID", "ErrorMsg"]
    assert (rsp.get("request_id"), rsp.get("ErrorID"), rsp.get("ErrorMsg")) == ("1", "0", "")


async def test_requests_before_the_login_are_answered_not_logged_in(
    front: FrontServer, connect: Connect
):
    client = await connect(front.port)
    await client.hello()
    index = await client.subscribe("rb2605")
    assert client.received[index].message.fields == {
        "request_id": "0",
        "InstrumentID": "rb2605",
        "ErrorID": "6",
        "ErrorMsg": "CTP:还没有登录",
        "last": "1",
    }
    client.send(protocol.LOGOUT, [("request_id", 4), ("BrokerID", "9999"), ("UserID", "x")])
    logout = await client.wait_for(lambda m: m.type == protocol.RSP_LOGOUT)
    assert (logout.get("request_id"), logout.get("ErrorID")) == ("4", "6")
    assert not client.messages(kind=protocol.MD)


async def test_a_subscription_replays_the_last_snapshot_then_every_slot_live(
    front: FrontServer, connect: Connect
):
    client = await logged_in(connect, front)
    start = len(client.received)
    client.send(protocol.SUB, [("ids", "rb2605,zz9999")])
    first = await client.wait_index(lambda m: m.type == protocol.RSP_SUB, after=start)
    assert client.received[first].message.fields == {
        "request_id": "0",
        "InstrumentID": "rb2605",
        "ErrorID": "0",
        "ErrorMsg": "",
        "last": "0",
    }
    # The snapshot follows its answer at once: the last slot the front has sent,
    # the same record as was sent live then, not newer than now.
    snapshot_at = client.received[first + 1]
    snapshot = record(snapshot_at.message)
    slot = record_slot(snapshot)
    assert snapshot == MARKET.record("rb2605", slot)
    assert slot * SLOT_NS <= snapshot_at.wall_ns
    unknown = await client.wait_for(lambda m: m.type == protocol.RSP_SUB, after=first + 2)
    assert (unknown.get("InstrumentID"), unknown.get("ErrorID"), unknown.get("last")) == (
        "zz9999",
        "0",  # CTP accepts any instrument; an unknown one just never ticks
        "1",
    )
    # Then a record every 500 ms slot, each exactly the sim's, never ahead of its time.
    live = await client.wait_count(protocol.MD, 4, after=first + 2)
    assert [record_slot(record(m)) for m in live] == [slot + 1, slot + 2, slot + 3, slot + 4]
    assert [record(m) for m in live] == [MARKET.record("rb2605", slot + n) for n in range(1, 5)]
    arrivals = [r for r in client.received[first + 2 :] if r.message.type == protocol.MD][:4]
    for arrival, message in zip(arrivals, live, strict=True):
        assert record_slot(record(message)) * SLOT_NS <= arrival.wall_ns
    assert not [m for m in client.messages(kind=protocol.MD) if m.get("InstrumentID") == "zz9999"]
    assert front.status()["subscriptions"] == {"rb2605": 1, "zz9999": 1}


async def test_one_request_for_several_instruments_answers_each_with_its_snapshot(
    front: FrontServer, connect: Connect
):
    client = await logged_in(connect, front)
    start = len(client.received)
    client.send(protocol.SUB, [("ids", "m2605,SR605")])
    await client.wait_count(protocol.RSP_SUB, 2, after=start)
    kinds = [(m.type, m.get("InstrumentID"), m.get("last")) for m in client.messages(start)][:4]
    assert kinds == [
        (protocol.RSP_SUB, "m2605", "0"),
        (protocol.MD, "m2605", ""),
        (protocol.RSP_SUB, "SR605", "1"),
        (protocol.MD, "SR605", ""),
    ]
    dce = record(client.messages(start)[1])
    assert dce.ExchangeID == "DCE" and dce.BidPrice2 == protocol.DBL_MAX and dce.AskVolume2 == 0
    czce = record(client.messages(start)[3])
    assert czce.ExchangeID == "CZCE" and czce.UpdateMillisec == 0


async def test_unsubscribe_and_logout_end_the_data(front: FrontServer, connect: Connect):
    client = await logged_in(connect, front)
    await client.subscribe("rb2605", "m2605")
    index = await client.subscribe("rb2605", unsubscribe=True)
    answer = client.received[index].message
    assert (answer.type, answer.get("InstrumentID"), answer.get("ErrorID")) == (
        protocol.RSP_UNSUB,
        "rb2605",
        "0",
    )
    await client.wait_count(protocol.MD, 3, after=index)
    assert {m.get("InstrumentID") for m in client.messages(index, protocol.MD)} == {"m2605"}
    after = len(client.received)
    client.send(protocol.LOGOUT, [("request_id", 9), ("BrokerID", "9999"), ("UserID", "rehearsal")])
    logout = await client.wait_for(lambda m: m.type == protocol.RSP_LOGOUT, after=after)
    assert logout.fields == {
        "request_id": "9",
        "ErrorID": "0",
        "ErrorMsg": "",
        "BrokerID": "9999",
        "UserID": "rehearsal",
    }
    barrier = await client.barrier()  # answered "not logged in", but a round trip all the same
    await client.wait_count(protocol.HB, 2, after=barrier)
    assert not client.messages(barrier, protocol.MD)


async def test_two_fronts_with_the_same_seed_send_the_same_bytes(
    start_front: StartFront, connect: Connect
):
    fronts = [await start_front(), await start_front()]
    clients = [await logged_in(connect, front) for front in fronts]
    for client in clients:
        await client.subscribe("rb2605", "m2605")
    for client in clients:
        await client.wait_count(protocol.MD, 8)
    by_slot = [
        {
            (r.message.get("InstrumentID"), record_slot(record(r.message))): r.raw
            for r in client.received
            if r.message.type == protocol.MD
        }
        for client in clients
    ]
    common = by_slot[0].keys() & by_slot[1].keys()
    assert len(common) >= 4
    for key in common:
        assert by_slot[0][key] == by_slot[1][key]


async def test_a_client_that_stops_talking_is_dropped_after_timeout_s(
    front: FrontServer, connect: Connect
):
    client = await connect(front.port, heartbeat_s=None)
    await client.hello()
    greeted = time.monotonic()
    await client.wait_closed(within=SETTINGS.timeout_s + TIMEOUT)
    assert time.monotonic() - greeted >= SETTINGS.timeout_s - 0.5
    assert client.messages(kind=protocol.HB)  # the front kept beating until then


# --- faults ---------------------------------------------------------------------------------


async def test_drop_closes_every_connection_and_the_front_takes_new_ones(
    front: FrontServer, connect: Connect
):
    clients = [await logged_in(connect, front) for _ in range(2)]
    assert front.set_fault("drop") == {"fault": "drop", "dropped": 2, "faults": []}
    for client in clients:
        await client.wait_closed()
    again = await connect(front.port)
    await again.hello()


async def test_silence_sends_nothing_at_all_until_cleared(front: FrontServer, connect: Connect):
    client = await logged_in(connect, front)
    await client.subscribe("rb2605")
    await client.wait_count(protocol.MD, 3)
    assert front.set_fault("silence")["faults"] == ["silence"]
    silenced_at, index = time.monotonic(), len(client.received)
    newcomer = await connect(front.port)
    client.send(protocol.SUB, [("ids", "m2605")])  # held until the front speaks again
    arrived = await client.quiet_for(SETTINGS.timeout_s - 0.5, after=index)
    # Lines written before the fault may still be on the wire; nothing after it.
    assert [r.message.type for r in arrived if r.at > silenced_at + 0.2] == []
    assert not newcomer.received  # not even a HELLO
    assert not client.eof.is_set()  # a hung front times nobody out
    front.set_fault("clear")
    await newcomer.hello()
    answer = await client.wait_for(lambda m: m.type == protocol.RSP_SUB, after=index)
    assert answer.get("InstrumentID") == "m2605"
    await client.wait_for(lambda m: m.type == protocol.HB, after=index)
    await client.wait_count(protocol.MD, 3, after=index)


async def test_stall_keeps_heartbeats_and_answers_but_no_market_data(
    front: FrontServer, connect: Connect
):
    client = await logged_in(connect, front)
    await client.subscribe("rb2605")
    await client.wait_count(protocol.MD, 2)
    assert front.set_fault("stall") == {"fault": "stall", "changed": True, "faults": ["stall"]}
    barrier = await client.barrier()
    subscribed = await client.subscribe("m2605")  # answered, but no snapshot
    await client.wait_count(protocol.HB, 2, after=barrier)
    assert client.received[subscribed].message.get("ErrorID") == "0"
    assert not client.messages(barrier, protocol.MD)
    assert front.set_fault("clear")["cleared"] == ["stall"]
    await client.wait_for(is_md("m2605"), after=barrier)


async def test_refuse_closes_new_connections_at_once_and_keeps_the_others(
    front: FrontServer, connect: Connect
):
    old = await logged_in(connect, front)
    front.set_fault("refuse")
    index = len(old.received)
    refused = await connect(front.port)
    await refused.wait_closed()
    assert refused.received == []
    await old.wait_for(lambda m: m.type == protocol.HB, after=index)
    assert front.status()["refused"] == 1
    front.set_fault("clear")
    await (await connect(front.port)).hello()


async def test_reject_logins_answers_every_login_invalid_until_cleared(
    front: FrontServer, connect: Connect
):
    client = await connect(front.port)
    front.set_fault("reject-logins")
    answer = await client.login()
    assert (answer.get("ErrorID"), answer.get("ErrorMsg")) == ("3", "CTP:不合法的登录")
    front.set_fault("clear")
    assert (await client.login(request_id=2)).get("ErrorID") == "0"


async def test_an_unknown_fault_is_refused(front: FrontServer):
    with pytest.raises(ValueError, match="unknown fault"):
        front.set_fault("explode")


async def test_the_control_port_sets_faults_and_tells_the_state(
    front: FrontServer, connect: Connect
):
    client = await logged_in(connect, front)
    await client.subscribe("rb2605")
    await client.wait_count(protocol.MD, 2)

    async def ask(command: str) -> dict[str, object]:
        return await asyncio.to_thread(control.request, "127.0.0.1", front.control_port, command)

    assert await ask("fault stall") == {
        "ok": True,
        "fault": "stall",
        "changed": True,
        "faults": ["stall"],
    }
    status = await ask("status")
    assert status["ok"] is True and status["faults"] == ["stall"]
    assert status["front"] == f"tcp://127.0.0.1:{front.port}"
    assert status["connections"] == 1 and status["logged_in"] == ["rehearsal"]
    assert status["subscriptions"] == {"rb2605": 1}
    assert isinstance(status["records_sent"], int) and status["records_sent"] >= 2
    assert status["sessions"] == [
        {
            "session": 1,
            "peer": status["sessions"][0]["peer"],  # type: ignore[index]
            "api": "md",
            "broker": "9999",
            "user": "rehearsal",
            "subscriptions": ["rb2605"],
        }
    ]
    assert (await ask("fault clear"))["cleared"] == ["stall"]
    assert (await ask("fault drop"))["dropped"] == 1
    await client.wait_closed()
    refused = await ask("fault explode")
    assert refused["ok"] is False and "unknown command" in str(refused["error"])


async def test_a_replayed_file_reaches_subscribers_restamped_in_order(
    start_front: StartFront, connect: Connect
):
    front = await start_front(replay=SAMPLE, speed=4.0)
    client = await logged_in(connect, front)
    await client.subscribe("rb2605", "SR605")
    assert front.feed.knows("rb2605") and not front.feed.knows("au2602")

    def untimed(depth: DepthMarketData) -> DepthMarketData:
        return msgspec.structs.replace(
            depth, UpdateTime="", UpdateMillisec=0, TradingDay="", ActionDay=""
        )

    expected = [untimed(r.record) for r in load(SAMPLE) if r.record.InstrumentID == "rb2605"]
    last = expected[-1]
    await client.wait_for(lambda m: m.type == protocol.MD and untimed(record(m)) == last)
    got = [record(m) for m in client.messages(kind=protocol.MD)]
    rebar = [untimed(r) for r in got if r.InstrumentID == "rb2605"]
    # The snapshot (if the replay had begun) and then the rest: the file's tail, in order.
    assert len(rebar) >= 2 and rebar == expected[-len(rebar) :]
    assert {r.InstrumentID for r in got} == {"rb2605", "SR605"}  # only what was subscribed
    now = front.shared.clock()
    shfe = [r for r in got if r.InstrumentID == "rb2605"]
    assert all(abs((record_time(r) - now).total_seconds()) < 60 for r in shfe)  # restamped
    assert {r.TradingDay for r in got} == {days.ctp_date(days.trading_day(now))}
    assert {r.UpdateMillisec for r in got if r.InstrumentID == "SR605"} == {0}


# --- the command ------------------------------------------------------------------------------


class FrontProcess:
    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [TICKHUB, "ctp-front", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.stdout = Output(self.process.stdout)
        self.stderr = Output(self.process.stderr)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)


@pytest.fixture
def front_env() -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    env["TICKHUB_CTP_FRONT_PASSWORD"] = "s3cret-env"
    yield env


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


async def test_the_command_serves_takes_faults_and_stops_cleanly_on_sigterm(
    connect: Connect, front_env: dict[str, str]
):
    port, control_port = free_port(), free_port()
    served = FrontProcess(
        "--port", str(port), "--control-port", str(control_port), "--contracts",
        "rb2605.SHFE,m2605.DCE", "--seed", "3", env=front_env,
    )  # fmt: skip
    try:
        banner = await asyncio.to_thread(
            served.stdout.wait_for, lambda line: "listening on" in line, 60
        )
        assert banner == f"tickhub ctp-front listening on tcp://127.0.0.1:{port}"
        client = await connect(port)
        rejected = await client.login(password="rehearsal")  # the env's password rules
        assert rejected.get("ErrorID") == "3"
        assert (await client.login(password="s3cret-env", request_id=2)).get("ErrorID") == "0"
        await client.subscribe("rb2605")
        live = await client.wait_count(protocol.MD, 2)
        market = SimMarket(["rb2605.SHFE", "m2605.DCE"], seed=3)
        assert [record(m) for m in live] == [
            market.record("rb2605", record_slot(record(m))) for m in live
        ]

        control_address = f"127.0.0.1:{control_port}"
        status = await asyncio.to_thread(
            tickhub, "ctp-front", "fault", "status", "--control", control_address, env=front_env
        )
        assert status.returncode == 0, status.stderr
        state = json.loads(status.stdout)
        assert state["logged_in"] == ["rehearsal"] and state["subscriptions"] == {"rb2605": 1}
        assert state["feed"] == (
            "sim feed (seed 3, 2 contracts and listed ones on subscription, 500 at most)"
        )
        fixed = await asyncio.to_thread(
            tickhub, "ctp-front", "trading-day", "2026-06-01", "--control", control_address,
            env=front_env,
        )  # fmt: skip
        assert fixed.returncode == 0, fixed.stderr
        assert fixed.stdout.strip() == (
            f"ctp-front {control_address}: trading day 2026-06-01 (fixed), "
            f"{len(listings.listed(date(2026, 6, 1)))} instruments listed"
        )
        paced = await asyncio.to_thread(
            tickhub, "ctp-front", "pace", "100", "--control", control_address, env=front_env
        )
        assert paced.stdout.strip() == (
            f"ctp-front {control_address}: at most 100 subscriptions per second"
        )
        bad_pace = await asyncio.to_thread(
            tickhub, "ctp-front", "pace", "fast", "--control", control_address, env=front_env
        )
        assert bad_pace.returncode == 2 and "neither a number nor off" in bad_pace.stderr

        dropped = await asyncio.to_thread(
            tickhub, "ctp-front", "fault", "drop", "--control", control_address, env=front_env
        )
        assert dropped.returncode == 0, dropped.stderr
        assert dropped.stdout.strip() == (
            f"ctp-front {control_address}: fault drop: closed 1 connection(s); active faults: none"
        )
        await client.wait_closed()

        served.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(served.process.wait, TIMEOUT)
        assert code == 0
        await asyncio.to_thread(served.stderr.join)
        assert _refused(port) and _refused(control_port)
        log = served.stderr.text
        assert "login rejected (wrong password)" in log and "login ok" in log
        assert "fault drop: 1 connection(s) closed" in log and "stopped" in log
        assert "s3cret-env" not in log and "Traceback" not in log
    finally:
        served.kill()


def test_the_command_refuses_a_taken_port_and_a_bad_file_in_one_line(
    front_env: dict[str, str], tmp_path: Path
):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = tickhub("ctp-front", "--port", str(port), env=front_env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "address already in use" in result.stderr
    bad = tmp_path / "day.csv"
    bad.write_text("InstrumentID,UpdateTime,Volume\nrb2605,09:00:00,1\n")
    result = tickhub("ctp-front", "--port", "0", "--replay", str(bad), env=front_env)
    assert result.returncode == 2
    assert result.stderr == (
        f"tickhub: ctp-front: {bad}:1: the header has neither ActionDay nor TradingDay\n"
    )
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("vt_symbol,kind\nrb2605.SHFE,future\nm2605.DCE,swap\n")
    result = tickhub("ctp-front", "--port", "0", "--instruments", str(catalog), env=front_env)
    assert result.returncode == 2
    assert result.stderr == (
        f"tickhub: ctp-front: {catalog}, line 3: kind 'swap' is none of future, option, "
        "spread, other\n"
    )
    missing = tmp_path / "missing.csv"
    result = tickhub("ctp-front", "--port", "0", "--instruments", str(missing), env=front_env)
    assert result.returncode == 2
    assert result.stderr == (
        f"tickhub: ctp-front: {missing}: cannot read it: No such file or directory\n"
    )


def test_a_fault_command_without_a_front_fails_in_one_line(front_env: dict[str, str]):
    port = free_port()
    result = tickhub("ctp-front", "fault", "drop", "--control", f"127.0.0.1:{port}", env=front_env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"tickhub: ctp-front control port 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1
