"""The stand-in CTP market-data library, loaded by vnpy_ctp itself, against scripted fronts.

Each test starts a child Python (this very file run as a script: :func:`_driver`)
that drives vnpy_ctp's real ``MdApi`` from commands on its stdin and reports every
callback on its stdout. The child is started with the stand-in's directory on
``LD_LIBRARY_PATH`` (the loader reads it only at process start), so vnpy_ctp's
``vnctpmd`` loads it instead of CTP's library. On the other side of the socket is
a plain Python front in the test, speaking docs/ctp-front.md's protocol line by
line, so every byte the library sends is seen and every byte it reads is chosen.

Every wait is bounded (events, queues, sockets with timeouts); nothing sleeps.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gateway.localctp.conftest import (
    CHILD_START_TIMEOUT,
    TIMEOUT,
    Child,
    spawn_child,
)

pytestmark = pytest.mark.integration

FRONT = "tickhub-ctp-front"
DBL_MAX = sys.float_info.max
ENCODING = "gb18030"
MAX_LINE = 64 * 1024

READ_FAILED = 0x1001
HEARTBEAT_TIMEOUT = 0x2001
BAD_PACKET = 0x2003

# CThostFtdcDepthMarketDataField as vnpy_ctp hands it to Python: every member, with
# the Python type of its value.
DEPTH_FIELDS: dict[str, type] = {
    "TradingDay": str,
    "reserve1": str,
    "ExchangeID": str,
    "reserve2": str,
    "LastPrice": float,
    "PreSettlementPrice": float,
    "PreClosePrice": float,
    "PreOpenInterest": float,
    "OpenPrice": float,
    "HighestPrice": float,
    "LowestPrice": float,
    "Volume": int,
    "Turnover": float,
    "OpenInterest": float,
    "ClosePrice": float,
    "SettlementPrice": float,
    "UpperLimitPrice": float,
    "LowerLimitPrice": float,
    "PreDelta": float,
    "CurrDelta": float,
    "UpdateTime": str,
    "UpdateMillisec": int,
    **{
        f"{side}{kind}{level}": (float if kind == "Price" else int)
        for level in range(1, 6)
        for side in ("Bid", "Ask")
        for kind in ("Price", "Volume")
    },
    "AveragePrice": float,
    "ActionDay": str,
    "InstrumentID": str,
    "ExchangeInstID": str,
    "BandingUpperPrice": float,
    "BandingLowerPrice": float,
}

LOGIN_FIELDS: dict[str, type] = {
    "TradingDay": str,
    "LoginTime": str,
    "BrokerID": str,
    "UserID": str,
    "SystemName": str,
    "FrontID": int,
    "SessionID": int,
    "MaxOrderRef": str,
    "SHFETime": str,
    "DCETime": str,
    "CZCETime": str,
    "FFEXTime": str,
    "INETime": str,
    "SysVersion": str,
    "GFEXTime": str,
    "LoginDRIdentityID": int,
    "UserDRIdentityID": int,
    "LastLoginTime": str,
    "ReserveInfo": str,
}


def zeros(fields: dict[str, type]) -> dict[str, Any]:
    """A ``memset`` struct as vnpy_ctp converts it."""
    return {name: kind() for name, kind in fields.items()}


# --- the child: vnpy_ctp's MdApi driven over stdin/stdout ------------------------------


def _driver() -> None:
    """Run in the child: one JSON command per stdin line, ``{"call": name, "args": [...]}``
    answered by ``{"result": ...}``; every callback reported as ``{"event": name,
    "args": [...]}``."""
    import vnpy_ctp.api

    from tickhub_gateway.sources.ctp import release as ctp_release

    lock = threading.Lock()

    def emit(**message: Any) -> None:
        with lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    def reporter(name: str) -> Callable[..., None]:
        def report(self: Any, *args: Any) -> None:
            emit(event=name, args=list(args))

        return report

    callbacks = [
        "onFrontConnected",
        "onFrontDisconnected",
        "onHeartBeatWarning",
        "onRspUserLogin",
        "onRspUserLogout",
        "onRspError",
        "onRspSubMarketData",
        "onRspUnSubMarketData",
        "onRtnDepthMarketData",
    ]
    api_class = type("Api", (vnpy_ctp.api.MdApi,), {name: reporter(name) for name in callbacks})
    api = api_class()

    for line in sys.stdin:
        command = json.loads(line)
        name, args = command["call"], command.get("args", [])
        if name == "quit":
            sys.stdout.flush()
            os._exit(0)  # no interpreter teardown under C++ threads
        if name == "exit":
            # exit() without the GIL, tickhub's way: vnpy's own may deadlock.
            result: Any = ctp_release.release(api) or api.exit()
        elif name == "loaded_library":
            # The md library the loader mapped, and its GetApiVersion(), which vnpy_ctp
            # does not bind (dlopen of a loaded library returns the same copy).
            maps = Path("/proc/self/maps").read_text().splitlines()
            path = next(m.split()[-1] for m in maps if m.endswith("/libthostmduserapi_se.so"))
            function = ctypes.CDLL(path)._ZN15CThostFtdcMdApi13GetApiVersionEv
            function.restype = ctypes.c_char_p
            result = [path, function().decode()]
        else:
            result = getattr(api, name)(*args)
        emit(result=result)


# --- the scripted front ----------------------------------------------------------------


def encode(message_type: str, **fields: str | int | float) -> bytes:
    parts = [message_type]
    for key, value in fields.items():
        text = repr(value) if isinstance(value, float) else str(value)
        parts.append(f"{key}={text}")
    return "\t".join(parts).encode(ENCODING) + b"\n"


def decode(line: bytes) -> tuple[str, dict[str, str]]:
    message_type, *pairs = line.rstrip(b"\n").decode(ENCODING).split("\t")
    return message_type, dict(pair.split("=", 1) for pair in pairs)


class Link:
    """One connection the library made to a :class:`Peer`."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.received: list[bytes] = []
        """Every line the library sent, as raw bytes."""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with self.sock.makefile("rb") as reader:
            try:
                for line in reader:
                    self.received.append(line)
                    self.lines.put(line)
            except OSError:
                pass
        self.lines.put(None)

    def send(self, message_type: str, **fields: str | int | float) -> None:
        self.sock.sendall(encode(message_type, **fields))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def hello(self, heartbeat_s: int = 30, timeout_s: int = 60) -> None:
        self.send("HELLO", protocol=1, front=FRONT, heartbeat_s=heartbeat_s, timeout_s=timeout_s)

    def expect(self, message_type: str, timeout: float = TIMEOUT) -> dict[str, str]:
        """The fields of the next ``message_type`` line (``HB`` lines are skipped unless
        one is expected)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {message_type} within {timeout} s; got {self.received}")
            if line is None:
                pytest.fail(f"connection closed before {message_type}; got {self.received}")
            got, fields = decode(line)
            if got == message_type:
                return fields
            if got != "HB":
                pytest.fail(f"expected {message_type}, got {line!r}")

    def closed(self, timeout: float = TIMEOUT) -> None:
        """Waits until the library closed the connection; fails on any line but HB."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the library kept the connection open for {timeout} s")
            if line is None:
                return
            assert line == b"HB\n", f"unexpected {line!r}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class Peer:
    """A listening front; the library's connections arrive as :class:`Link` objects."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.accepted: queue.Queue[Link] = queue.Queue()
        self.links: list[Link] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            link = Link(sock)
            self.links.append(link)
            self.accepted.put(link)

    def accept(self, timeout: float = TIMEOUT) -> Link:
        try:
            return self.accepted.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the library did not connect to {self.address} within {timeout} s")

    def close(self) -> None:
        self.server.close()
        for link in self.links:
            link.close()


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def start(
    standin_dir: Path, gb18030_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], Child]]:
    """Starts driver children (their api created); all are killed at the end."""
    children: list[Child] = []
    counter = itertools.count()

    def start_child() -> Child:
        workdir = tmp_path / f"child{next(counter)}"
        child = spawn_child(Path(__file__), workdir, standin_dir, gb18030_env)
        children.append(child)
        child.call(
            "createFtdcMdApi", str(workdir / "flow") + "/", False, timeout=CHILD_START_TIMEOUT
        )
        return child

    yield start_child
    for child in children:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=TIMEOUT)


@pytest.fixture
def peers() -> Iterator[Callable[[], Peer]]:
    made: list[Peer] = []

    def make() -> Peer:
        peer = Peer()
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.close()


def refused_address() -> tuple[socket.socket, str]:
    """A port that refuses connections (bound, not listening) while the socket lives."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, f"tcp://127.0.0.1:{sock.getsockname()[1]}"


def connect(child: Child, peer: Peer, **hello: int) -> Link:
    """registerFront, init, HELLO; returns once vnpy saw onFrontConnected."""
    child.call("registerFront", peer.address)
    child.call("init")
    link = peer.accept()
    mark = child.mark()
    link.hello(**hello)
    child.wait("onFrontConnected", after=mark)
    return link


def login(child: Child, link: Link, reqid: int = 1) -> None:
    mark = child.mark()
    assert child.call("reqUserLogin", {"BrokerID": "9999", "UserID": "u1"}, reqid) == 0
    fields = link.expect("LOGIN")
    assert fields["request_id"] == str(reqid)
    link.send("RSP_LOGIN", request_id=reqid, ErrorID=0, TradingDay="20260105")
    _, _, (_, error, got, _) = child.wait("onRspUserLogin", after=mark)
    assert (error["ErrorID"], got) == (0, reqid)


# --- the library that loads -------------------------------------------------------------


def test_vnpy_ctp_loads_the_standin_not_ctps_library(start: Callable[[], Child]) -> None:
    from tickhub_gateway.localctp import standin

    child = start()
    vnpy_ctp = package_version("vnpy_ctp")
    ctp = ".".join(vnpy_ctp.split(".")[:3])
    path, api_version = child.call("loaded_library")
    assert Path(path) == standin.library_path()
    assert api_version == f"tickhub-local-ctp 1 (CTP {ctp} headers, vnpy_ctp {vnpy_ctp})"
    assert child.call("getTradingDay") == ""  # no login yet
    # Release() without Init() (vnpy's exit() would join a task thread never started).
    assert child.call("release") is None
    assert child.quit() == 0


# --- connecting and logging in ----------------------------------------------------------


def test_nothing_is_sent_nor_reported_before_hello_then_login_arrives_whole(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, peer = start(), peers()
    # A name, not an address: the library resolves it (getaddrinfo).
    child.call("registerFront", f"tcp://localhost:{peer.port}")
    child.call("init")
    link = peer.accept()

    # Connected by TCP, but not greeted: requests fail and nothing goes out.
    assert child.call("reqUserLogin", {"BrokerID": "9999", "UserID": "u1"}, 1) == -1
    assert child.call("subscribeMarketData", "rb2605") == -1
    assert child.named("onFrontConnected") == []

    link.hello()
    child.wait("onFrontConnected")
    request = {
        "BrokerID": "9999",
        "UserID": "u1",
        "Password": "secret",
        "UserProductInfo": "tickhub",
        "ClientIPPort": 0,  # zero and empty members are not sent
        "MacAddress": "",
    }
    assert child.call("reqUserLogin", request, 7) == 0
    assert link.expect("LOGIN") == {
        "request_id": "7",
        "BrokerID": "9999",
        "UserID": "u1",
        "Password": "secret",
        "UserProductInfo": "tickhub",
    }
    assert [line.split(b"\t")[0] for line in link.received] == [b"LOGIN"]  # the first line

    sent: dict[str, str | int | float] = {
        "TradingDay": "20260105",
        "LoginTime": "20:59:01",
        "BrokerID": "9999",
        "UserID": "u1",
        "SystemName": "tickhub",
        "FrontID": 3,
        "SessionID": -123456789,
        "MaxOrderRef": "1",
        "SHFETime": "20:59:01",
        "DCETime": "20:59:02",
        "CZCETime": "20:59:03",
        "FFEXTime": "20:59:04",
        "INETime": "20:59:05",
        "GFEXTime": "20:59:06",
        "LoginDRIdentityID": 1,
        # SysVersion, UserDRIdentityID, LastLoginTime, ReserveInfo: absent, so zero.
    }
    link.send("RSP_LOGIN", request_id=7, ErrorID=0, ErrorMsg="", NotACtpField="x", **sent)
    _, _, (data, error, reqid, last) = child.wait("onRspUserLogin")
    assert data == zeros(LOGIN_FIELDS) | sent
    assert error == {"ErrorID": 0, "ErrorMsg": ""}
    assert (reqid, last) == (7, True)
    assert child.call("getTradingDay") == "20260105"


def test_a_rejected_login_carries_its_chinese_message(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, peer = start(), peers()
    link = connect(child, peer)
    assert child.call("reqUserLogin", {"BrokerID": "9999", "UserID": "u1"}, 2) == 0
    link.expect("LOGIN")
    link.send(
        "RSP_LOGIN", request_id=2, ErrorID=3, ErrorMsg="CTP:不合法的登录", TradingDay="20260105"
    )
    _, _, (data, error, reqid, last) = child.wait("onRspUserLogin")
    assert error == {"ErrorID": 3, "ErrorMsg": "CTP:不合法的登录"}
    assert data["TradingDay"] == "20260105"
    assert (reqid, last) == (2, True)
    assert child.call("getTradingDay") == ""  # only a successful login sets it


# --- responses and market data ----------------------------------------------------------


def test_subscriptions_errors_logout_and_every_depth_field(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, peer = start(), peers()
    link = connect(child, peer)
    login(child, link)

    assert child.call("subscribeMarketData", "rb2605") == 0
    assert link.expect("SUB") == {"ids": "rb2605"}
    link.send("RSP_SUB", request_id=0, InstrumentID="rb2605", ErrorID=0, ErrorMsg="", last=0)
    link.send(
        "RSP_SUB",
        request_id=0,
        InstrumentID="xx9999",
        ErrorID=16,
        ErrorMsg="CTP:找不到合约",
        last=1,
    )
    index, _, args = child.wait("onRspSubMarketData")
    assert args == [
        {"reserve1": "", "InstrumentID": "rb2605"},
        {"ErrorID": 0, "ErrorMsg": ""},
        0,
        False,
    ]
    _, _, args = child.wait("onRspSubMarketData", after=index + 1)
    assert args == [
        {"reserve1": "", "InstrumentID": "xx9999"},
        {"ErrorID": 16, "ErrorMsg": "CTP:找不到合约"},
        0,
        True,
    ]

    sent: dict[str, str | int | float] = {
        "TradingDay": "20260105",
        "ExchangeID": "SHFE",
        "LastPrice": 3871.0,
        "PreSettlementPrice": DBL_MAX,
        "PreClosePrice": 0.1,
        "PreOpenInterest": 1234567.0,
        "OpenPrice": 3850.5,
        "HighestPrice": 5e-324,  # the smallest subnormal: strtod says ERANGE, reads it
        "LowestPrice": 0.30000000000000004,
        "Volume": 2147483647,
        "Turnover": 1.2345678901234567e17,
        "OpenInterest": 98765.0,
        "ClosePrice": DBL_MAX,
        "UpperLimitPrice": 4200.5,
        "LowerLimitPrice": -1.5,
        "CurrDelta": -0.0001,
        "UpdateTime": "21:00:01",
        "UpdateMillisec": 500,
        "BidPrice1": 3870.0,
        "BidVolume1": -2147483648,
        "AskPrice1": 3872.0,
        "AskVolume1": 7,
        "AskPrice5": 3876.0,
        "AskVolume5": 1,
        "AveragePrice": 38710.25,
        "ActionDay": "20260104",
        "InstrumentID": "rb2605",
        "BandingUpperPrice": 1e308,
        "BandingLowerPrice": 2.2250738585072014e-308,
        # SettlementPrice, PreDelta, ExchangeInstID, the other levels: absent, so zero.
    }
    link.send("MD", NotACtpField="ignored", **sent)
    # Over-long texts are cut to the member (with its NUL); nothing else given is zero.
    link.send("MD", InstrumentID="x" * 100, TradingDay="2026010599")
    index, _, (data,) = child.wait("onRtnDepthMarketData")
    assert data == zeros(DEPTH_FIELDS) | sent
    assert all(type(data[name]) is kind for name, kind in DEPTH_FIELDS.items())
    _, _, (data,) = child.wait("onRtnDepthMarketData", after=index + 1)
    assert data == zeros(DEPTH_FIELDS) | {"InstrumentID": "x" * 80, "TradingDay": "20260105"}

    assert child.call("unSubscribeMarketData", "rb2605") == 0
    assert link.expect("UNSUB") == {"ids": "rb2605"}
    link.send("RSP_UNSUB", request_id=0, InstrumentID="rb2605", ErrorID=0, ErrorMsg="", last=1)
    _, _, args = child.wait("onRspUnSubMarketData")
    assert args == [
        {"reserve1": "", "InstrumentID": "rb2605"},
        {"ErrorID": 0, "ErrorMsg": ""},
        0,
        True,
    ]

    link.send("RSP_ERROR", request_id=9, ErrorID=90, ErrorMsg="CTP:查询未就绪，请稍后重试", last=1)
    index, _, args = child.wait("onRspError")
    assert args == [{"ErrorID": 90, "ErrorMsg": "CTP:查询未就绪，请稍后重试"}, 9, True]
    # 81 bytes for ErrorMsg's 80: cut before the last character, not through it
    # (half a character and vnpy_ctp would turn the whole message into "").
    link.send("RSP_ERROR", request_id=10, ErrorID=1, ErrorMsg="A" + "错" * 40, last=0)
    _, _, args = child.wait("onRspError", after=index + 1)
    assert args == [{"ErrorID": 1, "ErrorMsg": "A" + "错" * 39}, 10, False]

    assert child.call("reqUserLogout", {"BrokerID": "9999", "UserID": "u1"}, 11) == 0
    assert link.expect("LOGOUT") == {"request_id": "11", "BrokerID": "9999", "UserID": "u1"}
    link.send("RSP_LOGOUT", request_id=11, ErrorID=0, ErrorMsg="", BrokerID="9999", UserID="u1")
    _, _, args = child.wait("onRspUserLogout")
    assert args == [{"BrokerID": "9999", "UserID": "u1"}, {"ErrorID": 0, "ErrorMsg": ""}, 11, True]
    assert child.call("exit") == 1
    assert child.quit() == 0


def test_a_line_of_64_kib_is_read_and_a_longer_one_drops_the_link(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, peer = start(), peers()
    link = connect(child, peer)
    head = b"MD\tInstrumentID=rb2605\tPadding="
    link.send_raw(head + b"p" * (MAX_LINE - len(head)) + b"\r\n")  # exactly the limit
    _, _, (data,) = child.wait("onRtnDepthMarketData")
    assert data["InstrumentID"] == "rb2605"
    link.send_raw(head + b"p" * (MAX_LINE + 1 - len(head)) + b"\n")
    _, _, args = child.wait("onFrontDisconnected")
    assert args == [BAD_PACKET]
    link.closed()


# --- disconnects, heartbeats, reconnects ------------------------------------------------


def test_a_closed_link_is_0x1001_and_the_library_moves_round_robin(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, first, second = start(), peers(), peers()
    refusing, refused = refused_address()
    try:
        for address in (refused, first.address, second.address):
            child.call("registerFront", address)
        child.call("init")
        # The refused front is tried first and reported to nobody.
        link = first.accept()
        link.hello()
        child.wait("onFrontConnected")
        assert child.named("onFrontDisconnected") == []
        login(child, link)

        link.close()
        index, _, args = child.wait("onFrontDisconnected")
        assert args == [READ_FAILED]
        # Dropped: requests fail at once, until the next front greets.
        assert child.call("reqUserLogin", {"BrokerID": "9999", "UserID": "u1"}, 2) == -1
        assert child.call("subscribeMarketData", "rb2605") == -1

        link = second.accept()  # next in turn, by itself
        link.hello()
        index, _, _ = child.wait("onFrontConnected", after=index + 1)
        login(child, link, reqid=3)
        link.close()
        index, _, args = child.wait("onFrontDisconnected", after=index + 1)
        assert args == [READ_FAILED]
        first.accept()  # round robin: past the refused one, back to the first
        assert child.named("onFrontDisconnected") == [[READ_FAILED], [READ_FAILED]]
    finally:
        refusing.close()
    assert child.call("exit") == 1
    assert child.quit() == 0


def test_a_silent_front_gets_heartbeats_a_warning_per_silence_then_0x2001(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, peer = start(), peers()
    link = connect(child, peer, heartbeat_s=1, timeout_s=2)
    greeted = time.monotonic()
    # Silent for more than half the timeout: a warning, once.
    index, _, args = child.wait("onHeartBeatWarning")
    assert args == [1]
    link.send("HB")  # life: the silence starts again, and so does its warning
    index, _, args = child.wait("onHeartBeatWarning", after=index + 1)
    assert args == [1]
    index, dropped, args = child.wait("onFrontDisconnected", after=index + 1)
    assert args == [HEARTBEAT_TIMEOUT]
    assert len(child.named("onHeartBeatWarning")) == 2
    assert dropped - greeted >= 2.5  # 1 s to the HB, then 2 s of silence
    # The library's own heartbeats: one a second, nothing else.
    link.closed()
    assert link.received and set(link.received) == {b"HB\n"}
    assert len(link.received) >= 2


def test_a_front_that_never_says_hello_gets_nothing_and_is_dropped_after_10_s(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, peer = start(), peers()
    child.call("registerFront", peer.address)
    child.call("init")
    link = peer.accept()
    accepted = time.monotonic()
    assert (
        child.call("reqUserLogin", {"BrokerID": "9999", "UserID": "u1", "Password": "p"}, 1) == -1
    )
    _, dropped, args = child.wait("onFrontDisconnected", timeout=TIMEOUT + 5)
    assert args == [HEARTBEAT_TIMEOUT]
    assert dropped - accepted >= 9.5
    link.closed()
    assert link.received == []
    assert child.named("onFrontConnected") == []


@pytest.mark.parametrize(
    "first_line",
    [
        pytest.param(b"SSH-2.0-OpenSSH_9.2p1\r\n", id="another-service"),
        pytest.param(
            encode("HELLO", protocol=1, front="a-real-broker", heartbeat_s=1, timeout_s=9),
            id="another-front",
        ),
        pytest.param(
            encode("HELLO", protocol=2, front=FRONT, heartbeat_s=1, timeout_s=9),
            id="another-protocol",
        ),
        pytest.param(encode("HELLO", protocol=1, front=FRONT, timeout_s=9), id="no-heartbeat"),
        pytest.param(encode("HB"), id="not-hello-first"),
        pytest.param(b"\x00\x01" * (MAX_LINE // 2 + 1), id="binary-without-line-end"),
    ],
)
def test_a_peer_that_is_not_a_tickhub_front_never_gets_a_login(
    start: Callable[[], Child], peers: Callable[[], Peer], first_line: bytes
) -> None:
    child, peer = start(), peers()
    child.call("registerFront", peer.address)
    child.call("init")
    link = peer.accept()
    link.send_raw(first_line)
    _, _, args = child.wait("onFrontDisconnected")
    assert args == [BAD_PACKET]
    assert (
        child.call("reqUserLogin", {"BrokerID": "9999", "UserID": "u1", "Password": "p"}, 1) == -1
    )
    link.closed()
    assert link.received == []
    assert child.named("onFrontConnected") == []


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"MD\tLastPrice=abc\n", id="double-that-does-not-parse"),
        pytest.param(b"MD\tVolume=99999999999\n", id="int-out-of-range"),
        pytest.param(b"RSP_SUB\trequest_id=1\tno-equals-sign\n", id="field-without-equals-sign"),
        pytest.param(b"RSP_SUB\trequest_id=1\tlast=2\n", id="last-neither-0-nor-1"),
        pytest.param(b"MD\tInstrumentID=rb\r2605\n", id="lone-cr-inside"),
        pytest.param(b"\n", id="empty-line"),
    ],
)
def test_a_malformed_line_after_hello_is_0x2003(
    start: Callable[[], Child], peers: Callable[[], Peer], line: bytes
) -> None:
    child, peer = start(), peers()
    link = connect(child, peer)
    link.send("MD", InstrumentID="rb2605")  # what comes before is still delivered
    link.send("UNKNOWN_TYPE", Whatever=1)  # a later protocol's message: ignored
    link.send_raw(line)
    _, _, args = child.wait("onFrontDisconnected")
    assert args == [BAD_PACKET]
    assert len(child.named("onRtnDepthMarketData")) == 1
    link.closed()


def test_only_tcp_fronts_are_ever_connected(
    start: Callable[[], Child], peers: Callable[[], Peer]
) -> None:
    child, tls, plain = start(), peers(), peers()
    child.call("registerFront", f"ssl://127.0.0.1:{tls.port}")
    child.call("registerFront", f"socks5://127.0.0.1:{tls.port}")
    child.call("registerFront", "tcp://127.0.0.1")  # no port
    child.call("registerFront", plain.address)
    child.call("init")
    link = plain.accept()
    link.hello()
    child.wait("onFrontConnected")
    link.close()
    plain.accept()  # the only front there is, again
    assert tls.accepted.empty()
    stderr = child.stderr_path.read_text()
    assert f"front ssl://127.0.0.1:{tls.port} refused" in stderr
    assert f"front socks5://127.0.0.1:{tls.port} refused" in stderr
    assert "front tcp://127.0.0.1 refused" in stderr


# --- releasing --------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["streaming", "just-dropped"])
def test_release_while_the_front_still_talks_does_not_hang(
    start: Callable[[], Child], peers: Callable[[], Peer], moment: str
) -> None:
    child, peer = start(), peers()
    link = connect(child, peer)
    login(child, link)
    stop = threading.Event()

    def flood() -> None:
        record = encode("MD", InstrumentID="rb2605", LastPrice=3871.0, Volume=1)
        try:
            while not stop.is_set():
                link.send_raw(record * 50)
        except OSError:
            pass  # released: the library closed the connection

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        index, _, _ = child.wait("onRtnDepthMarketData")
        child.wait("onRtnDepthMarketData", after=index + 100)
        if moment == "just-dropped":
            link.close()  # a disconnect callback in flight as the api is released
        began = time.monotonic()
        assert child.call("exit") == 1
        assert time.monotonic() - began < TIMEOUT
        assert child.quit() == 0
    finally:
        stop.set()
        flooder.join(timeout=TIMEOUT)


# --- the C++ side, under sanitizers -----------------------------------------------------
#
# What vnpy_ctp never does, done by a small C++ program linked with mdapi.cpp itself,
# built with ThreadSanitizer and with AddressSanitizer: Join() from the main thread,
# a request and Release() from inside callbacks, RegisterSpi(NULL) during a flood of
# market data, Release() racing a disconnect. Any data race, use after free or leak
# fails the test, as does a callback on the caller's thread.

HARNESS = r"""
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "ThostFtdcMdApi.h"

namespace {
std::mutex mutex;
std::condition_variable changed;
bool connected = false;
std::thread::id main_thread;

void say(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

class Spi : public CThostFtdcMdSpi {
   public:
    CThostFtdcMdApi* api = nullptr;
    std::string mode;
    std::atomic<long> depth{0};
    std::atomic<bool> cleared{false};
    std::atomic<long> after_clear{0};

    void OnFrontConnected() override {
        const bool on_main = std::this_thread::get_id() == main_thread;
        say(std::string("connected on_main=") + (on_main ? "1" : "0"));
        if (mode == "callbacks") {
            CThostFtdcReqUserLoginField request{};
            std::strcpy(request.BrokerID, "9999");
            std::strcpy(request.UserID, "u1");
            say("login " + std::to_string(api->ReqUserLogin(&request, 5)));
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            connected = true;
        }
        changed.notify_all();
    }
    void OnFrontDisconnected(int reason) override { say("disconnected " + std::to_string(reason)); }
    void OnRspUserLogin(CThostFtdcRspUserLoginField* login, CThostFtdcRspInfoField* info, int id,
                        bool last) override {
        say(std::string("login_rsp ") + login->TradingDay + " " + std::to_string(info->ErrorID) +
            " " + std::to_string(id) + " " + (last ? "1" : "0") + " day=" + api->GetTradingDay());
        if (mode == "callbacks") {
            api->Release();  // from the api's own thread: it ends after this callback
            say("released_in_callback");
        }
    }
    void OnRtnDepthMarketData(CThostFtdcDepthMarketDataField*) override {
        if (cleared) ++after_clear;
        if (++depth == 500) {
            std::lock_guard<std::mutex> lock(mutex);
            changed.notify_all();
        }
    }
};

bool wait_until(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), done);
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    main_thread = std::this_thread::get_id();
    Spi spi;
    spi.mode = argv[2];
    CThostFtdcMdApi* api = CThostFtdcMdApi::CreateFtdcMdApi("", false, false, true);
    spi.api = api;
    api->RegisterSpi(&spi);
    api->RegisterFront(argv[1]);
    api->Init();
    std::string line;
    if (spi.mode == "callbacks") {
        say("join " + std::to_string(api->Join()));
    } else {
        if (!wait_until([] { return connected; })) return 3;
        if (spi.mode == "spi-null") {
            say("flooded " + std::to_string(wait_until([&] { return spi.depth >= 500; })));
            api->RegisterSpi(nullptr);  // no callback runs after this returns
            spi.cleared = true;
            api->Release();
            say("released after_clear=" + std::to_string(spi.after_clear.load()));
        } else {  // release-after-drop
            say("ready");
            std::getline(std::cin, line);  // the front has just closed the link
            api->Release();
            say("released");
        }
    }
    std::getline(std::cin, line);  // ends when the test says so
    return 0;
}
"""

SANITIZERS = {
    "thread": (["-fsanitize=thread"], {"TSAN_OPTIONS": "halt_on_error=1 exitcode=66"}),
    "address": (
        ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"],
        {"ASAN_OPTIONS": "detect_leaks=1 abort_on_error=0", "UBSAN_OPTIONS": "halt_on_error=1"},
    ),
}


@pytest.fixture(scope="session")
def harness(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], tuple[Path, dict[str, str]]]:
    """Builds (once per sanitizer) the harness with mdapi.cpp, against the headers of the
    pinned vnpy_ctp sdist (build.py's cache)."""
    from tickhub_gateway.localctp import standin
    from tickhub_gateway.localctp.standin import build

    root = Path(__file__).resolve().parents[4]
    directory = tmp_path_factory.mktemp("harness")
    headers = directory / "include"  # apart: quoted includes must find them as system headers
    headers.mkdir()
    try:
        cxx = build.compiler()
    except build.BuildError as error:
        pytest.skip(str(error))
    try:
        sdist = build.read_lock(root / "uv.lock")
        build.extract_headers(build.fetch_sdist(sdist, root / ".bin" / "cache"), headers)
    except build.BuildError as error:
        pytest.skip(f"CTP's headers are not available: {error}")
    (directory / "harness.cpp").write_text(HARNESS)
    built: dict[str, tuple[Path, dict[str, str]]] = {}

    def get(sanitizer: str) -> tuple[Path, dict[str, str]]:
        if sanitizer not in built:
            flags, env = SANITIZERS[sanitizer]
            program = directory / f"harness-{sanitizer}"
            done = subprocess.run(
                [
                    *cxx,
                    "-std=c++17",
                    "-g",
                    "-O1",
                    "-pthread",
                    *flags,
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-isystem",
                    str(headers),
                    "-o",
                    str(program),
                    str(Path(standin.__file__).with_name("mdapi.cpp")),
                    str(directory / "harness.cpp"),
                ],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0 and "sanitize" in done.stderr and "cannot find" in done.stderr:
                pytest.skip(f"the {sanitizer} sanitizer's runtime is not installed")
            assert done.returncode == 0, done.stderr
            built[sanitizer] = (program, env)
        return built[sanitizer]

    return get


@dataclass
class Harness:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the harness said no {prefix!r} within {TIMEOUT} s")
            if line is None:
                pytest.fail(f"the harness ended before {prefix!r}: {self.stderr()}")
            if line.startswith(prefix):
                return line

    def tell(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()

    def finish(self) -> None:
        self.tell()
        try:
            code = self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail("the harness did not end")
        assert code == 0, self.stderr()
        assert "Sanitizer" not in self.stderr()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read()[-4000:]


@pytest.fixture
def run_harness(
    harness: Callable[[str], tuple[Path, dict[str, str]]],
) -> Iterator[Callable[[str, str, str], Harness]]:
    started: list[Harness] = []

    def run(sanitizer: str, front: str, mode: str) -> Harness:
        program, env = harness(sanitizer)
        process = subprocess.Popen(
            [str(program), front, mode],
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(Harness(process))
        return started[-1]

    yield run
    for each in started:
        if each.process.poll() is None:
            each.process.kill()
            each.process.wait(timeout=TIMEOUT)


@pytest.mark.parametrize("sanitizer", ["thread", "address"])
def test_callbacks_run_on_the_apis_thread_and_may_request_and_release(
    run_harness: Callable[[str, str, str], Harness], peers: Callable[[], Peer], sanitizer: str
) -> None:
    peer = peers()
    harness = run_harness(sanitizer, peer.address, "callbacks")
    link = peer.accept(timeout=TIMEOUT * 3)  # sanitized code starts slowly
    link.hello()
    assert harness.expect("connected") == "connected on_main=0"
    assert harness.expect("login ") == "login 0"  # sent from inside OnFrontConnected
    assert link.expect("LOGIN") == {"request_id": "5", "BrokerID": "9999", "UserID": "u1"}
    link.send("RSP_LOGIN", request_id=5, ErrorID=0, ErrorMsg="", TradingDay="20260105")
    assert harness.expect("login_rsp") == "login_rsp 20260105 0 5 1 day=20260105"
    # Join() on the main thread returns once the callback released the api.
    assert {harness.expect(""), harness.expect("")} == {"released_in_callback", "join 0"}
    link.closed()
    harness.finish()


@pytest.mark.parametrize("sanitizer", ["thread", "address"])
def test_no_callback_after_registerspi_null_during_a_flood(
    run_harness: Callable[[str, str, str], Harness], peers: Callable[[], Peer], sanitizer: str
) -> None:
    peer = peers()
    harness = run_harness(sanitizer, peer.address, "spi-null")
    link = peer.accept(timeout=TIMEOUT * 3)
    link.hello()
    stop = threading.Event()

    def flood() -> None:
        record = encode("MD", InstrumentID="rb2605", LastPrice=3871.0, Volume=1)
        try:
            while not stop.is_set():
                link.send_raw(record * 50)
        except OSError:
            pass

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        assert harness.expect("flooded") == "flooded 1"
        assert harness.expect("released") == "released after_clear=0"
        link.closed()
    finally:
        stop.set()
        flooder.join(timeout=TIMEOUT)
    harness.finish()


@pytest.mark.parametrize("sanitizer", ["thread", "address"])
def test_release_racing_a_disconnect_is_clean(
    run_harness: Callable[[str, str, str], Harness], peers: Callable[[], Peer], sanitizer: str
) -> None:
    peer = peers()
    harness = run_harness(sanitizer, peer.address, "release-after-drop")
    link = peer.accept(timeout=TIMEOUT * 3)
    link.hello()
    harness.expect("ready")
    link.close()
    harness.tell()  # Release() while the drop is being handled
    harness.expect("released")
    harness.finish()


if __name__ == "__main__":
    _driver()
