"""``TickhubTdApi``: vnpy's td api, only for contract names, with its flow files in the
source's directory. No account or position queries and no settlement confirmation: a
hub does not trade."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from vnpy_ctp.gateway.ctp_gateway import CtpTdApi

from . import release
from .codes import describe_disconnect, error_of
from .flow import flow_path


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
            if not release.release(self):
                self.exit()
