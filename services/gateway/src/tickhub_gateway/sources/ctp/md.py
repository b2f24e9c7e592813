"""``TickhubMdApi``: vnpy's md api with honest connection states, several fronts, no
dependence on the trading side, and normalised ticks.

vnpy_ctp's ``CtpMdApi.onRtnDepthMarketData`` drops every tick whose symbol the
*trading* side's instrument query has not put in ``symbol_contract_map``; a
market-data-only account (no td front, common) therefore gets no ticks at all. Here
the exchange comes from what the gateway was asked to subscribe, and each record is
fixed by :mod:`.normalise` (the date, "no price", empty book levels, the snapshot a
front replays at login, ticks outside the product's sessions).

CTP calls back on its own thread; the state the worker's thread shares with it is held
under ``_lock``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from vnpy.trader.constant import Exchange
from vnpy.trader.object import SubscribeRequest, TickData
from vnpy_ctp.gateway.ctp_gateway import CtpMdApi, symbol_contract_map

from tickhub_contracts.messages import ConnectionState, CtpSettings
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.logs import ContextAdapter

from . import release
from .codes import describe_disconnect, error_of
from .flow import flow_path
from .normalise import (
    SessionWindow,
    book_price,
    is_replay,
    parse_update_time,
    price,
    record_date,
    resolve_datetime,
)
from .pacing import Pacer

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


class MdGateway(Protocol):
    """What the md api needs of the gateway it serves (a :class:`.gateway.CtpSourceGateway`):
    its log, settings and clock tolerance, and where its connection states go."""

    log: ContextAdapter
    settings: CtpSettings
    clock_tolerance: timedelta
    sessions: SessionWindow | None
    """Which ticks are in session (None: every tick is, ``trading_hours="always"``)."""

    def transition(
        self, state: ConnectionState, reason_code: int | None = ..., message: str = ...
    ) -> None: ...


class TickhubMdApi(CtpMdApi):  # type: ignore[misc]  # vnpy_ctp: no types
    """vnpy's md api with honest connection states, several fronts, no dependence on
    the trading side, and normalised ticks."""

    # Set by vnpy's CtpMdApi.__init__; declared for the type checker.
    connect_status: bool
    login_status: bool

    def __init__(self, gateway: MdGateway) -> None:
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
        self.dropped: Counter[str] = Counter()
        """Records that became no tick, by reason."""
        self.user_product_info = gateway.settings.product_info
        self._lock = threading.Lock()
        self.pacer = Pacer(self._send_subscribe, gateway.settings.subscribe_per_s, self.log)
        """Subscriptions go out through it, never all at once (:mod:`.pacing`)."""

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
        self.createFtdcMdApi(flow_path(flow_dir), production_mode)
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
        self.pacer.close()
        # vnpy never clears connect_status, and a second exit() on a released api crashes.
        if self.connect_status:
            self.connect_status = False
            self.login_status = False
            if not release.release(self):
                self.exit()

    # --- CTP callbacks (CTP's thread) ---------------------------------------------------

    def onFrontConnected(self) -> None:
        self.front_connected = True
        self.source.transition("connecting", message="md front connected; logging in")
        self.login()

    def onFrontDisconnected(self, reason: int) -> None:
        self.front_connected = False
        self.login_status = False
        self.pacer.clear()  # the next login subscribes everything again
        self.source.transition("disconnected", reason, describe_disconnect(reason))

    def onHeartBeatWarning(self, time_lapse: int) -> None:
        self.log.warning("md front silent for %s s", time_lapse)

    def onRspUserLogin(
        self, data: dict[str, Any], error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        code, text = error_of(error)
        if code:
            self.source.transition("login_failed", code, f"md login rejected: {text}")
            return
        now = self.clock()
        moments = self._login_moments(data or {}, now)
        with self._lock:
            self.login_status = True
            for symbol, exchange in self.exchange_of.items():
                # The later of the two clocks: the login reply's exchange times are whole
                # seconds, so alone they pass a snapshot from X.500 replayed at X.700 as
                # live; the local clock alone would do the same where it runs behind.
                self.replay_before[symbol] = max(moments.get(exchange, now), now)
            symbols = list(self.exchange_of)
        trading_day = (data or {}).get("TradingDay", "")
        self.source.transition("connected", message=f"logged in; trading day {trading_day}")
        if self.connect_status:  # a test feeding callbacks has no api to talk to
            self.pacer.put(symbols)

    def onRspError(self, error: dict[str, Any], reqid: int, last: bool) -> None:
        code, text = error_of(error)
        self.log.warning("md api error: ErrorID=%s %s", code, text)

    def onRspSubMarketData(
        self, data: dict[str, Any], error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        code, text = error_of(error)
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
            tick = self.tick_data_of(data)
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
            self.pacer.put((req.symbol,))

    def unsubscribe(self, req: SubscribeRequest) -> None:
        with self._lock:
            known = self.exchange_of.pop(req.symbol, None) is not None
            self.replay_before.pop(req.symbol, None)
            logged_in = self.login_status
        self.pacer.discard(req.symbol)
        if known and logged_in and self.connect_status:
            result = self.unSubscribeMarketData(req.symbol)
            if result:
                self.log.warning(
                    "unsubscribe not sent (CTP returned %s)",
                    result,
                    extra={"symbol": req.vt_symbol},
                )

    def _send_subscribe(self, symbol: str) -> None:
        """The pacer's thread: one subscription to the front."""
        with self._lock:
            if symbol not in self.exchange_of or not self.login_status:
                return  # unsubscribed meanwhile, or the front went away
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

    def tick_data_of(self, data: dict[str, Any]) -> TickData | None:
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
        if not live:
            # Far from the clock (a replay): the record's own date, not a guess.
            day = record_date(
                exchange.value, data.get("ActionDay") or "", data.get("TradingDay") or "", clock
            )
            dated = None if day is None else datetime.combine(day, at.timetz())
            # A replay happened before now: a record dated ahead is a bad record.
            if dated is not None and dated - now <= self.source.clock_tolerance:
                at = dated
        reference = self.replay_before.pop(symbol, None)
        if reference is not None and is_replay(at, reference):
            live = False
        window = self.source.sessions
        in_session = window is None or window.covers(symbol, exchange.value, at)

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
            "bid_price_1": book_price(data["BidPrice1"], data["BidVolume1"]),
            "ask_price_1": book_price(data["AskPrice1"], data["AskVolume1"]),
            "bid_volume_1": data["BidVolume1"],
            "ask_volume_1": data["AskVolume1"],
            "localtime": now,
            "gateway_name": self.gateway_name,
        }
        depth = bool(data.get("BidVolume2") or data.get("AskVolume2"))
        for level, bid_price, ask_price, bid_volume, ask_volume in _DEPTH:
            # Without level 2 the book is level 1 only: no price, not vnpy's 0.
            fields[f"bid_price_{level}"] = (
                book_price(data[bid_price], data[bid_volume]) if depth else None
            )
            fields[f"ask_price_{level}"] = (
                book_price(data[ask_price], data[ask_volume]) if depth else None
            )
            fields[f"bid_volume_{level}"] = data[bid_volume] if depth else 0
            fields[f"ask_volume_{level}"] = data[ask_volume] if depth else 0
        tick = TickData(**fields)
        if not live or not in_session:
            tick.extra = {"live": live, "in_session": in_session}
        return tick
