"""The td api's instrument query through login, disconnect and login again, driven by
the callbacks vnpy_ctp would call (no library loaded: ``reqQryInstrument`` is recorded)."""

from __future__ import annotations

import logging
from typing import Any

from tickhub_gateway.sources.base import InstrumentAnswer
from tickhub_gateway.sources.ctp.td import TickhubTdApi

RB = {
    "InstrumentID": "rb2605",
    "ExchangeID": "SHFE",
    "InstrumentName": "rb2605",
    "ProductID": "rb",
    "ProductClass": "1",
    "ExpireDate": "20260515",
    "OpenDate": "20250516",
    "PriceTick": 1.0,
    "VolumeMultiple": 10,
    "UnderlyingInstrID": "rb",
    "OptionsType": "\x00",
    "StrikePrice": 0.0,
    "MinLimitOrderVolume": 1,
    "MaxLimitOrderVolume": 500,
}
LOGIN = {"FrontID": 1, "SessionID": 2, "TradingDay": "20261204"}
NO_ERROR = {"ErrorID": 0, "ErrorMsg": ""}


class Gateway:
    gateway_name = "ctp-a"

    def __init__(self) -> None:
        self.log = logging.getLogger("test.td")
        self.answers: list[InstrumentAnswer] = []

    def answer_instruments(self, answer: InstrumentAnswer) -> None:
        self.answers.append(answer)

    def on_contract(self, contract: Any) -> None:
        pass

    def write_log(self, text: str) -> None:
        pass


class Td(TickhubTdApi):
    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self.connect_status = True
        self.queries = 0

    def reqQryInstrument(self, request: dict[str, Any], reqid: int) -> int:
        self.queries += 1
        return 0


def test_a_query_cut_off_by_a_disconnect_is_asked_again_at_the_next_login() -> None:
    gateway = Gateway()
    td = Td(gateway)
    td.onRspUserLogin(LOGIN, NO_ERROR, 1, True)
    td.request_instruments()  # the manager's, while the login's query runs
    assert td.queries == 1
    td.onRspQryInstrument(RB, NO_ERROR, 1, False)
    td.onFrontDisconnected(0x1001)  # the rest of the answer is lost with the link
    assert gateway.answers == []
    td.onRspUserLogin(LOGIN, NO_ERROR, 2, True)
    assert td.queries == 2, "the next login did not query again"
    td.onRspQryInstrument(RB, NO_ERROR, 2, True)
    [answer] = gateway.answers
    assert [i.vt_symbol for i in answer.instruments] == ["rb2605.SHFE"], "a partial list kept"


def test_a_query_asked_while_logged_out_is_answered_after_the_login() -> None:
    gateway = Gateway()
    td = Td(gateway)
    td.request_instruments()
    assert td.queries == 0
    td.onRspUserLogin(LOGIN, NO_ERROR, 1, True)
    td.onRspQryInstrument(RB, NO_ERROR, 1, True)
    assert len(gateway.answers) == 1 and td.queries == 1
