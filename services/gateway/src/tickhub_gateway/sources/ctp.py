"""The ``ctp`` source: vnpy_ctp's CtpGateway, made fit for a market-data hub.

vnpy_ctp as is has three faults here, fixed by subclassing its own classes (the
real CTP API underneath, real sockets):

* ``CtpMdApi.onRtnDepthMarketData`` drops every tick whose symbol the *trading*
  side's instrument query has not put in ``symbol_contract_map``; a market-data-only
  account (no td front, common) therefore gets no ticks at all. Here the exchange
  comes from what the gateway was asked to subscribe.
* Its connection state exists only as log text, and CTP says nothing at all while
  no front answers (a closed port, a dead host): the gateway would look
  "connecting" forever. Here every state goes out as a Connection event, and a
  watchdog reports ``disconnected`` when CTP stays silent.
* Its ticks carry DCE's trading day as the date, 0 for "no price" and CZCE's
  shared seconds; :mod:`tickhub_gateway.normalise` fixes them.

CTP calls back on its own threads: everything here either only puts events on the
EventEngine (thread-safe) or holds ``_lock``.
"""

from __future__ import annotations

import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vnpy.event import EventEngine
from vnpy.trader.constant import Exchange
from vnpy.trader.object import SubscribeRequest, TickData
from vnpy_ctp.gateway.ctp_gateway import (
    CtpGateway,
    CtpMdApi,
    CtpTdApi,
    symbol_contract_map,
)

from tickhub_contracts.messages import ConnectionState, CtpSettings, FaultKind, SourceConfig
from tickhub_runtime.logs import get_logger

from ..events import FaultNotSupported, SourceGateway
from ..normalise import (
    CHINA_TZ,
    SecondStamper,
    is_replay,
    parse_update_time,
    price,
    resolve_datetime,
)
from . import ctp_release

CTP_EXCHANGES: frozenset[Exchange] = frozenset(
    {Exchange.CFFEX, Exchange.SHFE, Exchange.CZCE, Exchange.DCE, Exchange.INE, Exchange.GFEX}
)

DISCONNECT_REASONS: dict[int, str] = {
    0x1001: "network read failed",
    0x1002: "network write failed",
    0x2001: "heartbeat receive timeout",
    0x2002: "heartbeat send failed",
    0x2003: "bad packet received",
}
"""CTP's ``OnFrontDisconnected`` reasons (ThostFtdcMdApi.h)."""

NO_FRONT_ANSWER = 0x3001
"""tickhub's code: no md front answered within ``connect_timeout_s`` (CTP is silent).
Reported as ``disconnected``: transient, a restart may well help."""
NO_LOGIN_ANSWER = 0x3002
"""tickhub's code: a front connected but did not answer the login in time. Reported
as ``login_failed`` (the login is what failed) but transient: nothing was rejected."""

# Connection.reason_code, as the health service reads it (it cannot import this module):
#
#   state "disconnected":  CTP's OnFrontDisconnected reason (DISCONNECT_REASONS, e.g.
#       0x1001 = 4097) or NO_FRONT_ANSWER (0x3001 = 12289). Transient: restart, retry.
#   state "login_failed":  CTP's login ErrorID from onRspUserLogin, e.g. 3 INVALID_LOGIN
#       (wrong user id or password, "CTP:不合法的登录"). Every ErrorID the front answers a
#       login with counts as REJECTED: a retry loop only brings the broker's lock-out
#       (a few failed logins) closer, so the operator must act; erring this way costs a
#       page, erring the other way a locked account. The one exception is
#       NO_LOGIN_ANSWER (0x3002 = 12290), tickhub's own "no answer to the login": transient.
#   The sim reports fail_login as login_failed with code 3, exactly like CTP.

RELEASE_TIMEOUT_S = 1.0
"""How long close() waits for CTP's Release(), known to hang at times. The worker
bounds its whole shutdown too; this keeps the gateway's share of it small."""

# The login response carries each exchange's clock at the moment of login.
_LOGIN_TIME_FIELDS: dict[Exchange, str] = {
    Exchange.SHFE: "SHFETime",
    Exchange.INE: "INETime",
    Exchange.DCE: "DCETime",
    Exchange.CZCE: "CZCETime",
    Exchange.CFFEX: "FFEXTime",
    Exchange.GFEX: "GFEXTime",
}

# Order book levels 2-5: (level, CTP's bid/ask price and volume fields).
_DEPTH = tuple(
    (level, f"BidPrice{level}", f"AskPrice{level}", f"BidVolume{level}", f"AskVolume{level}")
    for level in range(2, 6)
)


def describe_disconnect(reason: int) -> str:
    """``4097`` -> ``'0x1001 network read failed'``."""
    words = DISCONNECT_REASONS.get(reason, "unknown reason")
    return f"0x{reason:04x} {words}"


def front_address(address: str) -> str:
    """A front as CTP wants it: vnpy's rule, ``tcp://`` unless a scheme is given."""
    address = address.strip()
    if not address:
        raise ValueError("a CTP front address must not be empty")
    if not address.startswith(("tcp://", "ssl://", "socks")):
        address = "tcp://" + address
    return address


def probe(address: str, timeout_s: float = 1.0) -> str:
    """What a plain TCP connect to a front says, in words (CTP's own API will not tell)."""
    parts = urlsplit(address)
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        return f"{address}: not probed"
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s):
            return f"{address}: accepts TCP connections but sent CTP nothing"
    except ConnectionRefusedError:
        return f"{address}: connection refused"
    except TimeoutError:
        return f"{address}: no answer in {timeout_s:g} s"
    except OSError as error:
        return f"{address}: {error.strerror or error}"


def _flow_path(directory: Path) -> bytes:
    # CTP glues its file names onto this prefix: the trailing separator keeps them
    # inside the directory (vnpy appends "\\Md", which on Linux is part of a file name).
    directory.mkdir(parents=True, exist_ok=True)
    return os.fsencode(f"{directory}{os.sep}")


def _error(error: dict[str, Any] | None) -> tuple[int, str]:
    """(ErrorID, ErrorMsg) of a CTP error dict; CTP passes none (empty) for success."""
    if not error:
        return 0, ""
    return int(error.get("ErrorID", 0)), str(error.get("ErrorMsg", ""))


class CtpSourceGateway(SourceGateway, CtpGateway):  # type: ignore[misc]  # vnpy_ctp: no types
    """One CTP market-data account as a tickhub source."""

    default_name = "CTP"
    exchanges = sorted(CTP_EXCHANGES, key=lambda exchange: exchange.value)

    clock_tolerance = timedelta(seconds=60)
    """A tick further than this from the local clock, either way, is not live (a
    snapshot from outside the session). Generous, because a local clock off by a few
    seconds must not make a live feed look dead; the worker's ``stale_tick_s`` is
    the finer check on old ticks."""

    def __init__(self, event_engine: EventEngine, config: SourceConfig) -> None:
        if config.ctp is None:
            raise ValueError(f"source {config.name!r}: gateway_type 'ctp' needs a 'ctp' section")
        settings = config.ctp
        if not settings.md_fronts:
            raise ValueError(f"source {config.name!r}: ctp.md_fronts lists no front")
        if settings.connect_timeout_s <= 0:
            raise ValueError(f"source {config.name!r}: ctp.connect_timeout_s must be > 0")
        self.md_fronts = [front_address(front) for front in settings.md_fronts]
        self.td_front = front_address(settings.td_front) if settings.td_front.strip() else ""

        super().__init__(event_engine, config)
        self.settings: CtpSettings = settings
        self.log = get_logger(__name__, source=config.name)
        # CtpGateway made vnpy's own apis; these replace them before anything connects.
        self.md_api: TickhubMdApi = TickhubMdApi(self)
        self.td_api: TickhubTdApi = TickhubTdApi(self)

        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._last_report: tuple[ConnectionState, int | None, str] | None = None
        self._watchdog: threading.Timer | None = None
        self._generation = 0

    # --- SourceGateway ------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        # vnpy keeps its files under <cwd>/.vntrader; the worker's cwd is the source's own
        # directory, so two sources' CTP flow files never mix.
        flow_dir = Path.cwd() / ".vntrader" / "ctp"
        production = self.settings.environment == "production"
        self.transition("connecting", message=f"connecting to md front(s) {self.md_fronts}")
        self.md_api.connect_fronts(
            self.md_fronts,
            self.settings.userid,
            self.settings.password,
            self.settings.broker_id,
            production,
            flow_dir / "md",
        )
        if self.td_front:
            # Only for contract names (and future instrument lists): no account or
            # position queries, a hub does not trade.
            self.td_api.connect_front(
                self.td_front,
                self.settings.userid,
                self.settings.password,
                self.settings.broker_id,
                self.settings.auth_code,
                self.settings.app_id,
                production,
                flow_dir / "td",
            )

    def inject_fault(self, kind: FaultKind) -> None:
        raise FaultNotSupported(
            f"a ctp source cannot {kind!r}: the front is real; crash and hang are the worker's"
        )

    def subscribe(self, req: SubscribeRequest) -> None:
        if req.exchange not in CTP_EXCHANGES:
            raise ValueError(
                f"{req.vt_symbol}: CTP has no exchange {req.exchange.value!r} "
                f"(it has {', '.join(sorted(e.value for e in CTP_EXCHANGES))})"
            )
        self.md_api.subscribe(req)

    def unsubscribe(self, req: SubscribeRequest) -> None:
        self.md_api.unsubscribe(req)

    def close(self) -> None:
        """Release the CTP apis, bounded: CTP's Release() is known to hang at times.

        The apis are released without the GIL (:mod:`.ctp_release`), which is what
        lets the bound work: a thread stuck in C++ holding the GIL would stop every
        Python thread, this one included.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._cancel_watchdog()
        releaser = threading.Thread(
            target=self._release, name=f"ctp-release-{self.gateway_name}", daemon=True
        )
        releaser.start()
        releaser.join(timeout=RELEASE_TIMEOUT_S)
        if releaser.is_alive():
            self.log.warning(
                "CTP api release still hangs after %.1f s; leaving it behind", RELEASE_TIMEOUT_S
            )
        self.transition("disconnected", message="closed", closing=True)

    def _release(self) -> None:
        self.md_api.close()
        self.td_api.close()

    # --- connection state -----------------------------------------------------------

    def transition(
        self,
        state: ConnectionState,
        reason_code: int | None = None,
        message: str = "",
        *,
        closing: bool = False,
    ) -> None:
        """Report a state (once per change) and keep the watchdog in step with it.

        Reported under the lock so that two threads' reports cannot overtake each
        other on the way out (report() only puts an event: it never blocks).
        """
        with self._lock:
            if self._closed and not closing:
                return  # callbacks of an api being released: the gateway is closed
            self._generation += 1
            self._cancel_watchdog()
            if state == "connecting" and not self._closed:
                self._arm_watchdog(self._generation)
            key = (state, reason_code, message)
            if key == self._last_report:
                return
            self._last_report = key
            self.log.info(
                "connection %s%s%s",
                state,
                f" code={reason_code}" if reason_code is not None else "",
                f": {message}" if message else "",
            )
            self.report(state, reason_code, message)

    def _arm_watchdog(self, generation: int) -> None:
        timer = threading.Timer(
            self.settings.connect_timeout_s, self._watchdog_fired, args=(generation,)
        )
        timer.daemon = True
        timer.name = f"ctp-watchdog-{self.gateway_name}"
        self._watchdog = timer
        timer.start()

    def _cancel_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _watchdog_fired(self, generation: int) -> None:
        timeout = self.settings.connect_timeout_s
        state: ConnectionState = "disconnected"
        if self.md_api.front_connected:
            state, code = "login_failed", NO_LOGIN_ANSWER
            message = f"md front connected but did not answer the login within {timeout:g} s"
        else:
            code = NO_FRONT_ANSWER
            # Probing takes a moment: do it before looking at the state again.
            findings = "; ".join(probe(front) for front in self.md_fronts)
            message = f"no md front answered within {timeout:g} s ({findings})"
        with self._lock:
            if generation != self._generation or self._closed:
                return  # something happened meanwhile: that state stands
        self.transition(state, code, message)

    # vnpy's CtpGateway helper, used by vnpy's CtpTdApi. One structured warning, not
    # also vnpy's EVENT_LOG line, which the worker would relay a second time.
    def write_error(self, msg: str, error: dict[str, Any]) -> None:
        code, text = _error(error)
        self.log.warning("%s: ErrorID=%s %s", msg, code, text)


class TickhubMdApi(CtpMdApi):  # type: ignore[misc]  # vnpy_ctp: no types
    """vnpy's md api with honest connection states, several fronts, no dependence on
    the trading side, and normalised ticks."""

    # Set by vnpy's CtpMdApi.__init__; declared for the type checker.
    connect_status: bool
    login_status: bool

    def __init__(self, gateway: CtpSourceGateway) -> None:
        super().__init__(gateway)
        self.source = gateway
        self.log = gateway.log
        self.front_connected = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(CHINA_TZ)
        """Local clock (tz-aware); a test may set a fixed one."""
        self.exchange_of: dict[str, Exchange] = {}
        """symbol -> exchange of everything asked for: where a tick's exchange comes from."""
        self.replay_before: dict[str, datetime] = {}
        """symbol -> moment of login/subscription; the first tick not newer is a replay."""
        self.stamper = SecondStamper()
        self.dropped: Counter[str] = Counter()
        """Records that became no tick, by reason."""
        self.user_product_info = gateway.settings.product_info
        self._lock = threading.Lock()

    # --- connecting -------------------------------------------------------------------

    def connect_fronts(
        self,
        fronts: Iterable[str],
        userid: str,
        password: str,
        brokerid: str,
        production_mode: bool,
        flow_dir: Path,
    ) -> None:
        """vnpy's ``connect`` for one or more fronts: CTP picks one and moves on to
        another when it fails."""
        self.userid, self.password, self.brokerid = userid, password, brokerid
        if self.connect_status:
            return  # a second createFtdcMdApi on the same object crashes the process
        self.createFtdcMdApi(_flow_path(flow_dir), production_mode)
        for front in fronts:
            self.registerFront(front)
        self.init()
        self.connect_status = True

    def login(self) -> None:
        if not self.connect_status:
            return  # closing: the api is being released
        request: dict[str, Any] = {
            "UserID": self.userid,
            "Password": self.password,
            "BrokerID": self.brokerid,
        }
        if self.user_product_info:
            request["UserProductInfo"] = self.user_product_info
        self.reqid += 1
        result = self.reqUserLogin(request, self.reqid)
        if result:
            self.log.warning("login request not sent (CTP returned %s)", result)

    def close(self) -> None:
        # vnpy never clears connect_status, and a second exit() on a released api crashes.
        if self.connect_status:
            self.connect_status = False
            self.login_status = False
            if not ctp_release.release(self):
                self.exit()

    # --- CTP callbacks (CTP's thread) ---------------------------------------------------

    def onFrontConnected(self) -> None:
        self.front_connected = True
        self.source.transition("connecting", message="md front connected; logging in")
        self.login()

    def onFrontDisconnected(self, reason: int) -> None:
        self.front_connected = False
        self.login_status = False
        self.source.transition("disconnected", reason, describe_disconnect(reason))

    def onHeartBeatWarning(self, time_lapse: int) -> None:
        self.log.warning("md front silent for %s s", time_lapse)

    def onRspUserLogin(
        self, data: dict[str, Any], error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        code, text = _error(error)
        if code:
            self.source.transition("login_failed", code, f"md login rejected: {text}")
            return
        now = self.clock()
        moments = self._login_moments(data or {}, now)
        with self._lock:
            self.login_status = True
            self.stamper.forget()
            for symbol, exchange in self.exchange_of.items():
                # The later of the two clocks: the login reply's exchange times are whole
                # seconds, so alone they pass a snapshot from X.500 replayed at X.700 as
                # live; the local clock alone would do the same where it runs behind.
                self.replay_before[symbol] = max(moments.get(exchange, now), now)
            symbols = list(self.exchange_of)
        trading_day = (data or {}).get("TradingDay", "")
        self.source.transition("connected", message=f"logged in; trading day {trading_day}")
        if self.connect_status:  # a test feeding callbacks has no api to talk to
            for symbol in symbols:
                self._send_subscribe(symbol)

    def onRspError(self, error: dict[str, Any], reqid: int, last: bool) -> None:
        code, text = _error(error)
        self.log.warning("md api error: ErrorID=%s %s", code, text)

    def onRspSubMarketData(
        self, data: dict[str, Any], error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        code, text = _error(error)
        if code:
            symbol = (data or {}).get("InstrumentID", "")
            exchange = self.exchange_of.get(symbol)
            self.log.warning(
                "subscription rejected: ErrorID=%s %s",
                code,
                text,
                extra={"symbol": f"{symbol}.{exchange.value}" if exchange else symbol},
            )

    def onRtnDepthMarketData(self, data: dict[str, Any]) -> None:
        # An exception must not unwind into CTP's C++ thread.
        try:
            tick = self.to_tick(data)
        except Exception:
            self.dropped["error"] += 1
            self.log.exception("market-data record could not be read: %r", data)
            return
        if tick is not None:
            self.gateway.on_tick(tick)

    # --- subscriptions (worker's thread) ------------------------------------------------

    def subscribe(self, req: SubscribeRequest) -> None:
        with self._lock:
            self.exchange_of[req.symbol] = req.exchange
            logged_in = self.login_status
            if logged_in:
                self.replay_before[req.symbol] = self.clock()
        if logged_in and self.connect_status:
            self._send_subscribe(req.symbol)

    def unsubscribe(self, req: SubscribeRequest) -> None:
        with self._lock:
            known = self.exchange_of.pop(req.symbol, None) is not None
            self.replay_before.pop(req.symbol, None)
            self.stamper.forget(req.symbol)
            logged_in = self.login_status
        if known and logged_in and self.connect_status:
            result = self.unSubscribeMarketData(req.symbol)
            if result:
                self.log.warning(
                    "unsubscribe not sent (CTP returned %s)",
                    result,
                    extra={"symbol": req.vt_symbol},
                )

    def _send_subscribe(self, symbol: str) -> None:
        result = self.subscribeMarketData(symbol)
        if result:
            self.log.warning(
                "subscribe not sent (CTP returned %s)", result, extra={"symbol": symbol}
            )

    def _login_moments(self, data: dict[str, Any], now: datetime) -> dict[Exchange, datetime]:
        """Each exchange's clock at login, from the login response; where an exchange's
        time is missing ("--:--:--" on some fronts) or implausible the local clock stands."""
        moments: dict[Exchange, datetime] = {}
        for exchange, field in _LOGIN_TIME_FIELDS.items():
            clock = parse_update_time(str(data.get(field, "")))
            if clock is None:
                continue
            at, near = resolve_datetime(clock, now, self.source.clock_tolerance)
            if near:
                moments[exchange] = at
        return moments

    # --- the tick ---------------------------------------------------------------------

    def _drop(self, reason: str, data: dict[str, Any]) -> None:
        self.dropped[reason] += 1
        self.log.debug(
            "record dropped (%s): %s %s",
            reason,
            data.get("InstrumentID"),
            data.get("UpdateTime"),
        )

    def to_tick(self, data: dict[str, Any]) -> TickData | None:
        """A CTP depth record as a normalised TickData, or None when it is no tick."""
        update_time: str = data.get("UpdateTime") or ""
        if not update_time:
            self._drop("no_time", data)
            return None
        clock = parse_update_time(update_time)
        millisecond = int(data.get("UpdateMillisec") or 0)
        if clock is None or not 0 <= millisecond <= 999:
            self._drop("bad_time", data)
            return None

        symbol: str = data["InstrumentID"]
        exchange = self.exchange_of.get(symbol)
        if exchange is None:
            # Never symbol_contract_map: an md-only source has none, and this is what we
            # asked for. A tick for something else (late after unsubscribe) is not ours.
            self._drop("not_subscribed", data)
            return None

        now = self.clock()
        at, live = resolve_datetime(clock, now, self.source.clock_tolerance, millisecond)
        if exchange is Exchange.CZCE and millisecond == 0:
            at = self.stamper.stamp(symbol, at)
        reference = self.replay_before.pop(symbol, None)
        if reference is not None and is_replay(at, reference):
            live = False

        contract = symbol_contract_map.get(symbol)
        # Built as a dict: prices may be None, which vnpy's float annotations do not allow.
        fields: dict[str, Any] = {
            "symbol": symbol,
            "exchange": exchange,
            "datetime": at,
            "name": contract.name if contract is not None else symbol,
            "volume": data["Volume"],
            "turnover": data["Turnover"],
            "open_interest": data["OpenInterest"],
            "last_price": price(data["LastPrice"]),
            "limit_up": price(data["UpperLimitPrice"]),
            "limit_down": price(data["LowerLimitPrice"]),
            "open_price": price(data["OpenPrice"]),
            "high_price": price(data["HighestPrice"]),
            "low_price": price(data["LowestPrice"]),
            "pre_close": price(data["PreClosePrice"]),
            "bid_price_1": price(data["BidPrice1"]),
            "ask_price_1": price(data["AskPrice1"]),
            "bid_volume_1": data["BidVolume1"],
            "ask_volume_1": data["AskVolume1"],
            "localtime": now,
            "gateway_name": self.gateway_name,
        }
        depth = bool(data.get("BidVolume2") or data.get("AskVolume2"))
        for level, bid_price, ask_price, bid_volume, ask_volume in _DEPTH:
            # Without level 2 the book is level 1 only: no price, not vnpy's 0.
            fields[f"bid_price_{level}"] = price(data[bid_price]) if depth else None
            fields[f"ask_price_{level}"] = price(data[ask_price]) if depth else None
            fields[f"bid_volume_{level}"] = data[bid_volume] if depth else 0
            fields[f"ask_volume_{level}"] = data[ask_volume] if depth else 0
        tick = TickData(**fields)
        if not live:
            tick.extra = {"live": False}
        return tick


class TickhubTdApi(CtpTdApi):  # type: ignore[misc]  # vnpy_ctp: no types
    """vnpy's td api, only for contract names, with its flow files in the source's dir."""

    # Set by vnpy's CtpTdApi.__init__; declared for the type checker.
    connect_status: bool
    login_status: bool

    def connect_front(
        self,
        address: str,
        userid: str,
        password: str,
        brokerid: str,
        auth_code: str,
        appid: str,
        production_mode: bool,
        flow_dir: Path,
    ) -> None:
        self.userid, self.password, self.brokerid = userid, password, brokerid
        self.auth_code, self.appid = auth_code, appid
        if self.connect_status:
            return
        self.createFtdcTraderApi(_flow_path(flow_dir), production_mode)
        # THOST_TERT_QUICK (2): no replay of the day's private/public flow; the hub
        # wants instruments, not the account's order history.
        self.subscribePrivateTopic(2)
        self.subscribePublicTopic(2)
        self.registerFront(address)
        self.init()
        self.connect_status = True

    def onFrontDisconnected(self, reason: int) -> None:
        self.login_status = False
        self.gateway.log.warning("td front disconnected: %s", describe_disconnect(reason))

    def onRspUserLogin(
        self, data: dict[str, Any], error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        # vnpy confirms the settlement statement here, an act on the account that a
        # market-data hub has no business doing: query the instruments and nothing else.
        code, text = _error(error)
        if code:
            self.login_failed = True
            self.gateway.log.warning("td login rejected: ErrorID=%s %s", code, text)
            return
        self.frontid, self.sessionid = data["FrontID"], data["SessionID"]
        self.login_status = True
        self.gateway.log.info("td logged in; querying instruments for their names")
        self._query_instruments(attempt=1)

    def _query_instruments(self, attempt: int) -> None:
        if not self.connect_status:
            return
        self.reqid += 1
        result = self.reqQryInstrument({}, self.reqid)
        if result and attempt < 10:
            # CTP's flow control (-2/-3): try again, off CTP's callback thread.
            retry = threading.Timer(1.0, self._query_instruments, args=(attempt + 1,))
            retry.daemon = True
            retry.start()
        elif result:
            self.gateway.log.warning("instrument query not sent (CTP returned %s)", result)

    def close(self) -> None:
        if self.connect_status:
            self.connect_status = False
            self.login_status = False
            if not ctp_release.release(self):
                self.exit()
