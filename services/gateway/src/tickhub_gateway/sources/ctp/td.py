"""``TickhubTdApi``: vnpy's td api, only for the instrument list (the catalog, and the
contract names), with its flow files in the source's directory. No account or
position queries and no settlement confirmation: a hub does not trade.

The list is queried at every login and again on request (:meth:`request_instruments`,
from the worker's thread); each complete answer goes to the gateway's
``answer_instruments``.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from vnpy_ctp.gateway.ctp_gateway import EXCHANGE_CTP2VT, CtpTdApi

from tickhub_contracts.messages import Instrument

from ..base import InstrumentAnswer
from . import release
from .codes import describe_disconnect, error_of
from .flow import flow_path
from .instruments import ctp_date, instrument_of

_VNPY_EXCHANGES = frozenset(EXCHANGE_CTP2VT)
"""The exchanges vnpy's own handler knows (it raises KeyError on any other)."""


class TickhubTdApi(CtpTdApi):  # type: ignore[misc]  # vnpy_ctp: no types
    """vnpy's td api, only for the instrument list, with its flow files in the source's dir."""

    # Set by vnpy's CtpTdApi.__init__; declared for the type checker.
    connect_status: bool
    login_status: bool

    def __init__(self, gateway: Any) -> None:
        super().__init__(gateway)
        self._query_lock = threading.Lock()
        self._querying = False
        self._wanted = False
        """An answer is owed (asked for while logged out or mid-query)."""
        self._found: list[Instrument] = []
        self.trading_day: dt.date | None = None

    def request_instruments(self) -> None:
        """Query the instruments now, or as soon as logged in (any thread)."""
        with self._query_lock:
            self._wanted = True
            if self._querying or not self.login_status:
                return  # the running query answers, or the next login's
            self._querying = True
            self._found = []
        self._query_instruments(attempt=1)

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
        self.createFtdcTraderApi(flow_path(flow_dir), production_mode)
        # THOST_TERT_QUICK (2): no replay of the day's private/public flow; the hub
        # wants instruments, not the account's order history.
        self.subscribePrivateTopic(2)
        self.subscribePublicTopic(2)
        self.registerFront(address)
        self.init()
        self.connect_status = True

    def onFrontDisconnected(self, reason: int) -> None:
        self.login_status = False
        with self._query_lock:
            # A query cut off by the disconnect never ends (its last answer went with
            # the link): the next login queries again, and answers what is still owed.
            self._querying = False
            self._found = []
        self.gateway.log.warning("td front disconnected: %s", describe_disconnect(reason))

    def onRspUserLogin(
        self, data: dict[str, Any], error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        # vnpy confirms the settlement statement here, an act on the account that a
        # market-data hub has no business doing: query the instruments and nothing else.
        code, text = error_of(error)
        if code:
            self.login_failed = True
            self.gateway.log.warning("td login rejected: ErrorID=%s %s", code, text)
            return
        self.frontid, self.sessionid = data["FrontID"], data["SessionID"]
        self.trading_day = ctp_date(str(data.get("TradingDay") or ""))
        self.login_status = True
        self.gateway.log.info(
            "td logged in (trading day %s); querying the instruments", self.trading_day
        )
        with self._query_lock:
            if self._querying:
                return
            self._querying = True
            self._found = []
        self._query_instruments(attempt=1)

    def onRspQryInstrument(
        self, data: dict[str, Any] | None, error: dict[str, Any], reqid: int, last: bool
    ) -> None:
        if data:
            instrument = instrument_of(data)
            if instrument is not None:
                self._found.append(instrument)
            if data.get("ExchangeID") in _VNPY_EXCHANGES:
                super().onRspQryInstrument(data, error, reqid, False)  # vnpy's names
        if not last:
            return
        code, text = error_of(error)
        with self._query_lock:
            found, self._found = self._found, []
            self._querying = False
            wanted, self._wanted = self._wanted, False
        self.contract_inited = True
        if code:
            self.gateway.log.warning("instrument query failed: ErrorID=%s %s", code, text)
            answer = InstrumentAnswer(error=f"instrument query failed: ErrorID={code} {text}")
        else:
            self.gateway.log.info("instrument query: %d instruments", len(found))
            answer = InstrumentAnswer(instruments=found, trading_day=self.trading_day)
        if wanted:
            self.gateway.answer_instruments(answer)

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
            with self._query_lock:
                self._querying = False
                wanted, self._wanted = self._wanted, False
            if wanted:
                self.gateway.answer_instruments(
                    InstrumentAnswer(error=f"instrument query not sent (CTP returned {result})")
                )

    def close(self) -> None:
        if self.connect_status:
            self.connect_status = False
            self.login_status = False
            if not release.release(self):
                self.exit()
