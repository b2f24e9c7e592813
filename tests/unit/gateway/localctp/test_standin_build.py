"""What build.py generates for the trading library's requests the stand-in does not
serve, from a header laid out as CTP's is (a made-up one: CTP's is not ours to copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tickhub_gateway.localctp.standin import build

HEADER = """
class CThostFtdcTraderApi
{
public:
\tvirtual int ReqUserLogin(CThostFtdcReqUserLoginField *pReqUserLoginField, int nRequestID) = 0;
    virtual int RegisterUserSystemInfo(CThostFtdcUserSystemInfoField *pUserSystemInfo) = 0;
    virtual int ReqOrderInsert(CThostFtdcInputOrderField *pInputOrder, int nRequestID) = 0;
    virtual int ReqQryTradingAccount (CThostFtdcQryTradingAccountField * pQry ,
                                      int nRequestID ) = 0 ;
"""


def test_every_request_is_found_and_only_the_unserved_are_generated(tmp_path: Path) -> None:
    assert build.requests_of(HEADER) == [
        ("ReqUserLogin", "CThostFtdcReqUserLoginField"),
        ("ReqOrderInsert", "CThostFtdcInputOrderField"),
        ("ReqQryTradingAccount", "CThostFtdcQryTradingAccountField"),
    ]
    source = tmp_path / "tdapi.cpp"
    source.write_text("    int ReqUserLogin(CThostFtdcReqUserLoginField* p, int n) override {\n")
    (tmp_path / build.TRADER_HEADER).write_text(HEADER * 10)  # the >= 20 requests a CTP has
    written = build.write_unsupported(tmp_path, source)
    lines = (tmp_path / build.UNSUPPORTED_FILE).read_text().splitlines()
    assert written == 20
    assert lines[1:3] == [
        "TICKHUB_NOT_SUPPORTED(ReqOrderInsert, CThostFtdcInputOrderField)",
        "TICKHUB_NOT_SUPPORTED(ReqQryTradingAccount, CThostFtdcQryTradingAccountField)",
    ]


def test_the_trading_source_serves_what_a_hub_needs() -> None:
    assert build.served_requests(build.TD.source.read_text()) == {
        "ReqAuthenticate",
        "ReqUserLogin",
        "ReqUserLogout",
        "ReqQryInstrument",
        "ReqSettlementInfoConfirm",
    }


def test_a_header_the_build_cannot_read_stops_it(tmp_path: Path) -> None:
    (tmp_path / build.TRADER_HEADER).write_text("class CThostFtdcTraderApi {};")
    with pytest.raises(build.BuildError, match="declares only 0 requests"):
        build.write_unsupported(tmp_path)


def test_each_library_exports_its_class_only() -> None:
    assert build.TD.version_symbol == "_ZN19CThostFtdcTraderApi13GetApiVersionEv"
    assert build.MD.version_symbol == "_ZN15CThostFtdcMdApi13GetApiVersionEv"
    script = build.TD.version_script()
    assert "_ZN19CThostFtdcTraderApi*;" in script and "local: *;" in script
    assert "MdApi" not in script
