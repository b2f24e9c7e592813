"""vnpy_ctp's own trading api on the stand-in trading library, against a real local
front: authentication, login, the settlement confirmation and the whole market's
instrument query as vnpy sees them, the trading day on command, and the front's
subscription pace limit as vnpy_ctp's market-data api meets it.

Each test starts a child Python (this very file run as a script: :func:`_driver`)
with the stand-ins' directory first on ``LD_LIBRARY_PATH``, so vnpy_ctp's vnctptd
and vnctpmd load tickhub's libraries. The child runs vnpy_ctp's ``CtpGateway`` with
its ``CtpTdApi`` unchanged (only reporting what it is called with), and a plain
``MdApi``; the front (:class:`FrontServer`) runs in a thread of the test and is
steered through its real control port.

Every wait is bounded (events, queues, sockets with timeouts); nothing sleeps except
the paced subscriber's own pace.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gateway.localctp.conftest import (
    CHILD_START_TIMEOUT,
    SETTINGS,
    TIMEOUT,
    Child,
    spawn_child,
)
from tickhub_contracts.messages import Instrument
from tickhub_gateway.localctp import standin
from tickhub_gateway.localctp.front import control
from tickhub_gateway.localctp.front.server import FrontServer
from tickhub_gateway.sources.sim import listings

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 10)
LATER = date(2026, 6, 1)
QUERY_TIMEOUT = 120.0
"""The whole market (some 23,000 instruments) through vnpy on a loaded machine."""
READ_FAILED = 0x1001


# --- the child: vnpy_ctp's CtpGateway (td) and MdApi driven over stdin/stdout --------------


def _driver() -> None:
    """Run in the child: one JSON command per stdin line, ``{"call": name, "args": [...]}``
    answered by ``{"result": ...}``; every callback reported as ``{"event": name,
    "args": [...]}``."""
    from vnpy.event import EventEngine
    from vnpy_ctp.api import MdApi
    from vnpy_ctp.gateway import ctp_gateway

    from tickhub_gateway.sources.ctp import release as ctp_release

    lock = threading.Lock()

    def emit(**message: Any) -> None:
        with lock:
            sys.stdout.write(json.dumps(message, default=str) + "\n")
            sys.stdout.flush()

    contracts: list[Any] = []

    class Gateway(ctp_gateway.CtpGateway):  # type: ignore[misc]  # vnpy_ctp: no types
        def on_contract(self, contract: Any) -> None:
            contracts.append(contract)

        def write_log(self, msg: str) -> None:
            emit(event="log", args=[msg])

        def write_error(self, msg: str, error: dict[str, Any]) -> None:
            emit(event="error", args=[msg, error])

    class TdApi(ctp_gateway.CtpTdApi):  # type: ignore[misc]
        """vnpy's own td api; each callback reported, then vnpy's handling."""

        def onFrontConnected(self) -> None:
            emit(event="onFrontConnected", args=[])
            super().onFrontConnected()

        def onFrontDisconnected(self, reason: int) -> None:
            emit(event="onFrontDisconnected", args=[reason])
            super().onFrontDisconnected(reason)

        def onRspAuthenticate(self, data: Any, error: Any, reqid: int, last: bool) -> None:
            emit(event="onRspAuthenticate", args=[data, error, reqid, last])
            super().onRspAuthenticate(data, error, reqid, last)

        def onRspUserLogin(self, data: Any, error: Any, reqid: int, last: bool) -> None:
            emit(event="onRspUserLogin", args=[data, error, reqid, last])
            super().onRspUserLogin(data, error, reqid, last)

        def onRspSettlementInfoConfirm(self, data: Any, error: Any, reqid: int, last: bool) -> None:
            emit(event="onRspSettlementInfoConfirm", args=[data, error, reqid, last])
            super().onRspSettlementInfoConfirm(data, error, reqid, last)

        def onRspQryInstrument(self, data: Any, error: Any, reqid: int, last: bool) -> None:
            super().onRspQryInstrument(data, error, reqid, last)
            if last:
                emit(event="instruments", args=[len(contracts), reqid])

    class Md(MdApi):  # type: ignore[misc]
        pass

    for name in ("onFrontConnected", "onFrontDisconnected", "onRspUserLogin",
                 "onRspSubMarketData"):  # fmt: skip
        setattr(Md, name, lambda self, *args, _name=name: emit(event=f"md.{_name}", args=args))

    gateway = Gateway(EventEngine(), "CTP")
    gateway.td_api = TdApi(gateway)
    td = gateway.td_api
    md: Any = None

    def contract_row(c: Any) -> list[Any]:
        return [
            c.symbol, c.exchange.value, c.name, c.product.value, c.size, c.pricetick,
            c.min_volume, c.max_volume, c.option_portfolio, c.option_underlying,
            c.option_type.value if c.option_type else None, c.option_strike,
            c.option_listed, c.option_expiry,
        ]  # fmt: skip

    for line in sys.stdin:
        command = json.loads(line)
        name, args = command["call"], command.get("args", [])
        result: Any = None
        if name == "quit":
            sys.stdout.flush()
            os._exit(0)  # no interpreter teardown under C++ threads
        elif name == "connect":  # address, user, password, broker, auth_code, app_id
            address, userid, password, brokerid, auth_code, appid = args
            td.connect(address, userid, password, brokerid, auth_code, appid, False)
        elif name == "contracts":
            result = [contract_row(c) for c in contracts]
            contracts.clear()
        elif name == "query":
            td.reqid += 1
            result = td.reqQryInstrument({}, td.reqid)
        elif name == "td":  # any method of vnpy's td api
            result = getattr(td, args[0])(*args[1:])
        elif name == "loaded_libraries":
            maps = Path("/proc/self/maps").read_text().splitlines()
            result = {}
            for file, cls in (("libthostmduserapi_se.so", "15CThostFtdcMdApi"),
                              ("libthosttraderapi_se.so", "19CThostFtdcTraderApi")):  # fmt: skip
                path = next(m.split()[-1] for m in maps if m.endswith("/" + file))
                function = getattr(ctypes.CDLL(path), f"_ZN{cls}13GetApiVersionEv")
                function.restype = ctypes.c_char_p
                result[file] = [path, function().decode()]
        elif name == "md_connect":
            md = Md()
            md.createFtdcMdApi(str(Path.cwd() / "md") + "/", False)
            md.registerFront(args[0])
            md.init()
        elif name == "md_login":
            result = md.reqUserLogin({"BrokerID": "9999", "UserID": "rehearsal",
                                      "Password": "rehearsal"}, 1)  # fmt: skip
        elif name == "md_subscribe":  # all at once, one call per symbol as vnpy does
            result = [md.subscribeMarketData(symbol) for symbol in args[0]]
        elif name == "md_subscribe_paced":  # symbols, per second
            symbols, per_second = args
            result = []
            for start in range(0, len(symbols), per_second):
                began = time.monotonic()
                result += [md.subscribeMarketData(s) for s in symbols[start : start + per_second]]
                # The pace itself, not a wait for anything.
                time.sleep(max(0.0, 1.1 - (time.monotonic() - began)))
        elif name == "exit":
            result = ctp_release.release(td) or td.exit()
        emit(result=result)


# --- the front, in a thread of the test --------------------------------------------------


class ThreadedFront:
    """A :class:`FrontServer` on an event loop of its own thread, so that the tests
    (blocking on the child) never hold up the front."""

    def __init__(self, **changes: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.front: FrontServer = self._run(self._start(replace(SETTINGS, **changes)))

    async def _start(self, settings: Any) -> FrontServer:
        front = FrontServer(settings)
        await front.start()
        return front

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT * 3)

    @property
    def address(self) -> str:
        return self.front.address

    def ask(self, command: str) -> dict[str, Any]:
        """A command on the front's real control port."""
        return control.request("127.0.0.1", self.front.control_port, command)

    def stop(self) -> None:
        self._run(self.front.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


@pytest.fixture
def fronts() -> Iterator[Callable[..., ThreadedFront]]:
    started: list[ThreadedFront] = []

    def start(**changes: Any) -> ThreadedFront:
        started.append(ThreadedFront(**changes))
        return started[-1]

    yield start
    for front in started:
        front.stop()


@pytest.fixture
def children(
    standin_dir: Path, gb18030_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], Child]]:
    """Starts driver children; all are killed at the end."""
    started: list[Child] = []
    counter = itertools.count()

    def start() -> Child:
        child = spawn_child(
            Path(__file__), tmp_path / f"child{next(counter)}", standin_dir, gb18030_env
        )
        started.append(child)
        child.call("contracts", timeout=CHILD_START_TIMEOUT)  # vnpy imported, gateway made
        return child

    yield start
    for child in started:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=TIMEOUT)


def connect(child: Child, front: ThreadedFront, auth_code: str = "", app_id: str = "") -> None:
    child.call("connect", front.address, "rehearsal", "rehearsal", "9999", auth_code, app_id)


def expected_row(i: Instrument) -> list[Any]:
    """A listed instrument as vnpy's ContractData (the child's row of it)."""
    option = i.kind == "option"
    portfolio = ""
    if option:  # vnpy drops the last letter of a CZCE option product (its C/P suffix)
        portfolio = i.product[:-1] if i.exchange == "CZCE" else i.product

    def day(d: date | None) -> str | None:
        return str(datetime(d.year, d.month, d.day)) if option and d else None

    return [
        i.symbol, i.exchange, i.name, "Option" if option else "Futures", i.multiplier, i.tick_size,
        1, 1000, portfolio if option else None, i.underlying.rpartition(".")[0] if option else None,
        {"call": "Call", "put": "Put"}[i.option_type] if option else None,
        i.strike if option else None, day(i.listed), day(i.expiry),
    ]  # fmt: skip


# --- the tests ------------------------------------------------------------------------------


def test_vnpy_ctp_loads_both_stand_ins(children: Callable[[], Child]) -> None:
    child = children()
    loaded = child.call("loaded_libraries")
    assert Path(loaded["libthostmduserapi_se.so"][0]) == standin.library_path()
    assert Path(loaded["libthosttraderapi_se.so"][0]) == standin.td_library_path()
    md_version, td_version = (v for _, v in loaded.values())
    assert td_version == md_version and td_version.startswith("tickhub-local-ctp 1 ")
    assert child.call("td", "getApiVersion") == td_version
    assert child.quit() == 0


def test_vnpy_logs_in_confirms_and_gets_the_whole_market_as_contracts(
    fronts: Callable[..., ThreadedFront], children: Callable[[], Child]
) -> None:
    front = fronts(trading_day=DAY)
    child = children()
    connect(child, front)
    _, _, (data, error, _, _) = child.wait("onRspUserLogin")
    assert error == {"ErrorID": 0, "ErrorMsg": ""}
    assert (data["TradingDay"], data["FrontID"], data["SessionID"]) == ("20260310", 1, 1)
    _, _, (_, confirmed, _, _) = child.wait("onRspSettlementInfoConfirm")
    assert confirmed["ErrorID"] == 0
    _, _, (count, _) = child.wait("instruments", timeout=QUERY_TIMEOUT)
    expected = listings.listed(DAY)
    assert count == len(expected) > 20_000
    rows = child.call("contracts", timeout=QUERY_TIMEOUT)
    assert rows == [json.loads(json.dumps(expected_row(i), default=str)) for i in expected]
    assert child.call("td", "getTradingDay") == "20260310"
    assert child.call("td", "getFrontInfo")["FrontAddr"] == front.address
    # What the stand-in does not serve: -1, and said once.
    assert child.call("td", "reqQryTradingAccount", {}, 90) == -1
    assert child.call("td", "reqQryInvestorPosition", {}, 91) == -1
    assert child.call("td", "reqQryTradingAccount", {}, 92) == -1
    stderr = child.stderr_path.read_text()
    assert stderr.count("ReqQryTradingAccount is not supported by the stand-in") == 1
    assert "ReqQryInvestorPosition is not supported" in stderr
    assert child.quit() == 0


def test_a_wrong_password_is_refused_with_ctps_error(
    fronts: Callable[..., ThreadedFront], children: Callable[[], Child]
) -> None:
    front = fronts(password="the-right-one")
    child = children()
    connect(child, front)
    _, _, (_, error, _, _) = child.wait("onRspUserLogin")
    assert error == {"ErrorID": 3, "ErrorMsg": "CTP:不合法的登录"}  # GB18030 on the wire
    _, _, (message, _) = child.wait("error")
    assert message == "交易服务器登录失败"
    assert child.named("onRspSettlementInfoConfirm") == []
    assert front.ask("status")["logins_rejected"] == 1
    assert child.quit() == 0


def test_with_an_auth_code_vnpy_authenticates_first_and_a_wrong_one_stops_it(
    fronts: Callable[..., ThreadedFront], children: Callable[[], Child]
) -> None:
    front = fronts(trading_day=DAY, options=False, app_id="desk_app", auth_code="0123456789")
    right = children()
    connect(right, front, auth_code="0123456789", app_id="desk_app")
    _, _, (data, error, _, _) = right.wait("onRspAuthenticate")
    assert error["ErrorID"] == 0 and data["AppID"] == "desk_app"
    _, _, (_, login, _, _) = right.wait("onRspUserLogin")
    assert login["ErrorID"] == 0
    _, _, (count, _) = right.wait("instruments", timeout=QUERY_TIMEOUT)
    assert count == len(listings.listed(DAY, options=False))

    wrong = children()
    connect(wrong, front, auth_code="9999999999", app_id="desk_app")
    _, _, (_, error, _, _) = wrong.wait("onRspAuthenticate")
    assert error == {"ErrorID": 63, "ErrorMsg": "CTP:客户端认证失败"}
    _, _, (message, _) = wrong.wait("error")
    assert message == "交易服务器授权验证失败"
    assert wrong.named("onRspUserLogin") == []  # vnpy never logs in after a 63
    assert front.ask("status")["auths_rejected"] == 1
    for child in (right, wrong):
        assert child.quit() == 0


def test_the_trading_day_on_command_changes_the_list_and_the_next_login(
    fronts: Callable[..., ThreadedFront], children: Callable[[], Child]
) -> None:
    front = fronts(trading_day=DAY, options=False)
    child = children()
    connect(child, front)
    child.wait("instruments", timeout=QUERY_TIMEOUT)
    before = {row[0] for row in child.call("contracts")}
    assert before == {i.symbol for i in listings.listed(DAY, options=False)}

    assert front.ask("trading-day 2026-06-01")["trading_day"] == "2026-06-01"
    mark = child.mark()
    assert child.call("query") == 0
    child.wait("instruments", after=mark, timeout=QUERY_TIMEOUT)
    after = {row[0] for row in child.call("contracts")}
    assert after == {i.symbol for i in listings.listed(LATER, options=False)}
    assert after != before

    # The login answer follows too: vnpy logs in again after a drop, by itself.
    mark = child.mark()
    assert front.ask("fault drop")["dropped"] == 1
    _, _, (reason,) = child.wait("onFrontDisconnected", after=mark)
    assert reason == READ_FAILED
    _, _, (data, error, _, _) = child.wait("onRspUserLogin", after=mark)
    assert error["ErrorID"] == 0 and data["TradingDay"] == "20260601"
    assert child.call("td", "getTradingDay") == "20260601"
    assert child.quit() == 0


def test_the_pace_limit_drops_vnpys_flood_and_lets_a_paced_subscription_through(
    fronts: Callable[..., ThreadedFront], children: Callable[[], Child]
) -> None:
    # The sim ticks none of these (its cap is its own contracts): a subscription costs
    # the front no snapshot, so its clock counts them as they come, however loaded.
    front = fronts(
        trading_day=DAY, max_subscribe_per_s=200, max_sim_instruments=len(SETTINGS.contracts)
    )
    symbols = [i.symbol for i in listings.listed(DAY)][:1_000]
    child = children()
    child.call("md_connect", front.address)
    child.wait("md.onFrontConnected")
    assert child.call("md_login") == 0
    child.wait("md.onRspUserLogin")

    mark = child.mark()
    child.call("md_subscribe", symbols)  # 1,000 at once, as a hub subscribing a universe
    _, _, (reason,) = child.wait("md.onFrontDisconnected", after=mark)
    assert reason == READ_FAILED  # 0x1001, as vnpy_ctp users see from a real front
    assert front.ask("status")["floods_dropped"] == 1

    # The library connects again by itself; 100 a second then all go through (any
    # second of the front's holds two such batches at most).
    mark = child.mark()
    child.wait("md.onFrontConnected", after=mark)
    assert child.call("md_login") == 0
    child.wait("md.onRspUserLogin", after=mark)
    mark = child.mark()
    paced = symbols[:400]
    results = child.call("md_subscribe_paced", paced, 100, timeout=TIMEOUT * 2)
    assert results == [0] * len(paced)
    answers = child.wait_count("md.onRspSubMarketData", len(paced), after=mark)
    assert [data["InstrumentID"] for data, _, _, _ in answers] == paced
    assert child.named("md.onFrontDisconnected") == [[READ_FAILED]]  # the flood's only
    assert front.ask("status")["floods_dropped"] == 1
    assert child.quit() == 0


if __name__ == "__main__":
    _driver()
