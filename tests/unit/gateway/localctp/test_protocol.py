"""The wire format of docs/ctp-front.md, as the Python side writes and reads it."""

from __future__ import annotations

import math
import sys

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_gateway.localctp import protocol
from tickhub_gateway.localctp.protocol import (
    DBL_MAX,
    DEPTH_FIELDS,
    LOGIN_FIELDS,
    MAX_LINE,
    DepthMarketData,
    Message,
    ProtocolError,
    RspUserLogin,
    decode,
    encode,
    format_value,
    struct_fields,
    to_struct,
)

# Every character GB18030 can carry (all of Unicode but surrogates) except the
# three the format reserves; a key also without "=".
_TEXT = st.characters(codec="gb18030", exclude_characters="\t\n\r")
values = st.text(_TEXT, max_size=40)
keys = st.text(
    st.characters(codec="gb18030", exclude_characters="\t\n\r="), min_size=1, max_size=20
)
types = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), min_size=1, max_size=12)


@given(types, st.dictionaries(keys, values, max_size=12))
def test_any_fields_without_tab_or_newline_round_trip(message_type, fields):
    line = encode(message_type, fields)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line) == Message(message_type, fields)


@given(st.lists(st.tuples(keys, values), max_size=8))
def test_fields_keep_their_order_and_a_repeated_key_keeps_its_last_value(pairs):
    decoded = decode(encode("X", pairs))
    assert decoded.fields == dict(pairs)
    assert list(decoded.fields) == list(dict(pairs))


@given(st.floats(allow_nan=False))
def test_a_double_is_read_back_exactly(value):
    assert float(decode(encode("MD", {"LastPrice": value})).get("LastPrice")) == value


def test_dbl_max_and_the_other_special_doubles_are_written_as_strtod_reads_them():
    assert format_value(DBL_MAX) == "1.7976931348623157e+308"
    assert sys.float_info.max == DBL_MAX
    assert format_value(0.1) == "0.1"
    assert format_value(-0.0) == "-0.0"
    assert format_value(3512.0) == "3512.0"
    assert format_value(math.inf) == "inf"
    assert format_value(7) == "7"
    assert format_value(True) == "1" and format_value(False) == "0"


def test_chinese_text_is_gb18030_on_the_wire():
    line = encode(protocol.RSP_LOGIN, [("ErrorID", 3), ("ErrorMsg", "CTP:不合法的登录")])
    assert line == (
        b"RSP_LOGIN\tErrorID=3\tErrorMsg=CTP:\xb2\xbb\xba\xcf\xb7\xa8\xb5\xc4\xb5\xc7\xc2\xbc\n"
    )
    assert decode(line).get("ErrorMsg") == "CTP:不合法的登录"


def test_a_message_without_fields_and_a_crlf_ending():
    assert encode(protocol.HB) == b"HB\n"
    assert decode(b"HB\r\n") == Message("HB", {})
    assert decode(b"HB") == Message("HB", {})


def test_a_value_may_contain_equals_signs_and_be_empty():
    assert decode(b"X\ta=b=c\tempty=\n").fields == {"a": "b=c", "empty": ""}


def test_the_longest_line_passes_and_one_byte_more_is_refused():
    filler = MAX_LINE - len(b"X\tk=")
    line = encode("X", {"k": "a" * filler})
    assert len(line) == MAX_LINE + 1  # the newline is not counted
    assert decode(line).get("k") == "a" * filler
    with pytest.raises(ProtocolError, match="exceeds"):
        encode("X", {"k": "a" * (filler + 1)})
    with pytest.raises(ProtocolError, match="exceeds"):
        decode(b"X\tk=" + b"a" * (filler + 1) + b"\n")


@pytest.mark.parametrize(
    "line",
    [
        b"\n",
        b"X\tnovalue\n",
        b"X\t=value\n",
        b"A=B\tk=v\n",
        b"X\tk=\x81\n",  # half a GB18030 character
        b"X\tk=a\rb\n",
    ],
)
def test_malformed_lines_are_protocol_errors(line):
    with pytest.raises(ProtocolError):
        decode(line)


@pytest.mark.parametrize(
    ("message_type", "fields"),
    [
        ("X", {"k": "a\tb"}),
        ("X", {"k": "a\nb"}),
        ("X", {"k": "a\rb"}),
        ("X", {"k=": "v"}),
        ("X", {"": "v"}),
        ("", {}),
        ("A\tB", {}),
    ],
)
def test_what_the_format_cannot_carry_is_refused_when_encoding(message_type, fields):
    with pytest.raises(ProtocolError):
        encode(message_type, fields)


def test_the_depth_record_has_ctps_members_in_struct_order():
    levels = [
        f"{name}{level}"
        for level in range(1, 6)
        for name in ("BidPrice", "BidVolume", "AskPrice", "AskVolume")
    ]
    assert list(DEPTH_FIELDS) == [
        "TradingDay", "ExchangeID", "LastPrice", "PreSettlementPrice", "PreClosePrice",
        "PreOpenInterest", "OpenPrice", "HighestPrice", "LowestPrice", "Volume", "Turnover",
        "OpenInterest", "ClosePrice", "SettlementPrice", "UpperLimitPrice", "LowerLimitPrice",
        "PreDelta", "CurrDelta", "UpdateTime", "UpdateMillisec", *levels, "AveragePrice",
        "ActionDay", "InstrumentID", "ExchangeInstID", "BandingUpperPrice", "BandingLowerPrice",
    ]  # fmt: skip
    assert list(LOGIN_FIELDS) == [
        "TradingDay", "LoginTime", "BrokerID", "UserID", "SystemName", "FrontID", "SessionID",
        "MaxOrderRef", "SHFETime", "DCETime", "CZCETime", "FFEXTime", "INETime", "GFEXTime",
    ]  # fmt: skip
    assert "BidPrice3" in protocol.PRICE_FIELDS and "PreDelta" in protocol.PRICE_FIELDS
    assert "Volume" not in protocol.PRICE_FIELDS and "Turnover" not in protocol.PRICE_FIELDS


def test_a_depth_record_round_trips_through_a_line_exactly():
    record = DepthMarketData(
        TradingDay="20260309",
        ExchangeID="DCE",
        LastPrice=2987.0,
        Volume=123_456,
        Turnover=3.6872e9,
        OpenInterest=1_498_210.0,
        ClosePrice=DBL_MAX,
        UpdateTime="21:30:00",
        UpdateMillisec=500,
        BidPrice2=DBL_MAX,
        AveragePrice=29866.66666666667,
        ActionDay="20260309",
        InstrumentID="m2605",
    )
    line = encode(protocol.MD, struct_fields(record))
    assert line.startswith(b"MD\tTradingDay=20260309\tExchangeID=DCE\tLastPrice=2987.0\t")
    assert to_struct(DepthMarketData, decode(line).fields) == record


def test_to_struct_ignores_unknown_fields_and_leaves_absent_ones_zero():
    login = to_struct(RspUserLogin, {"TradingDay": "20260310", "FrontID": "1", "Extra": "x"})
    assert login == RspUserLogin(TradingDay="20260310", FrontID=1)
    assert msgspec.structs.asdict(login)["SessionID"] == 0
    with pytest.raises(ProtocolError, match="SessionID"):
        to_struct(RspUserLogin, {"SessionID": "one"})
