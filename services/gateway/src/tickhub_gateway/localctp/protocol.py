"""The wire format between the stand-in CTP libraries and ``tickhub ctp-front``.

One message per line: a type, then ``key=value`` fields, all separated by one TAB,
ended by ``\\n`` (a lone ``\\r`` before it is ignored). Text is GB18030, as CTP sends
it; numbers are ASCII, doubles as Python's ``repr`` writes them (C's ``strtod`` reads
that back exactly, ``DBL_MAX`` included). docs/ctp-front.md has the whole contract;
this module is its Python half, the C++ half is the stand-in library's.

The CTP structs the protocol carries are :class:`DepthMarketData`,
:class:`RspUserLogin`, and for the trading side :class:`InstrumentField`,
:class:`RspAuthenticate` and :class:`SettlementInfoConfirm`: msgspec Structs whose
members are CTP's own field names in CTP's struct order, so a test compares a decoded
record with an expected one field for field, and the encoded line reads like the C++
struct.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import msgspec

# --- message types ------------------------------------------------------------------

HELLO = "HELLO"
HB = "HB"
LOGIN = "LOGIN"
RSP_LOGIN = "RSP_LOGIN"
LOGOUT = "LOGOUT"
RSP_LOGOUT = "RSP_LOGOUT"
SUB = "SUB"
RSP_SUB = "RSP_SUB"
UNSUB = "UNSUB"
RSP_UNSUB = "RSP_UNSUB"
RSP_ERROR = "RSP_ERROR"
MD = "MD"
# the trading side (libthosttraderapi_se.so)
AUTH = "AUTH"
RSP_AUTH = "RSP_AUTH"
QRY_INSTRUMENT = "QRY_INSTRUMENT"
RSP_QRY_INSTRUMENT = "RSP_QRY_INSTRUMENT"
CONFIRM = "CONFIRM"
RSP_CONFIRM = "RSP_CONFIRM"

API_TD = "td"
"""``LOGIN``'s ``api`` field from the trading library; the market-data library's
``LOGIN`` has no ``api`` field."""

PROTOCOL_VERSION = 1
FRONT_NAME = "tickhub-ctp-front"
"""What ``HELLO``'s ``front`` field says; the library talks to nothing else."""

ENCODING = "gb18030"
MAX_LINE = 64 * 1024
"""Longest line in bytes, not counting its ``\\n`` (nor a ``\\r`` before it)."""

DBL_MAX = sys.float_info.max
"""CTP's "no price"."""

_TAB = b"\t"
_FORBIDDEN = ("\t", "\n", "\r")

Value = str | int | float
"""What a field may carry: text, an integer or a double (a bool is written 1/0)."""


class ProtocolError(ValueError):
    """A line that breaks the format: the receiver drops the connection (0x2003)."""


@dataclass(frozen=True, slots=True)
class Message:
    """One decoded line: its type and its fields as text, in the order they came.

    A key given twice keeps its last value. Fields are text because only the
    receiver knows which are numbers (:func:`to_struct` converts CTP structs).
    """

    type: str
    fields: dict[str, str]

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)


# --- encoding -----------------------------------------------------------------------


def format_value(value: Value) -> str:
    """A field value as the wire writes it (before GB18030 encoding)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def _check_text(text: str, what: str) -> None:
    for char in _FORBIDDEN:
        if char in text:
            raise ProtocolError(f"{what} {text!r} contains {char!r}")


def encode(
    message_type: str, fields: Mapping[str, Value] | Iterable[tuple[str, Value]] = ()
) -> bytes:
    """One line, ``\\n`` included; ProtocolError for what the format cannot carry."""
    if not message_type or "=" in message_type:
        raise ProtocolError(f"bad message type {message_type!r}")
    _check_text(message_type, "message type")
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    parts = [message_type.encode(ENCODING)]
    for key, value in pairs:
        if not key or "=" in key:
            raise ProtocolError(f"bad field name {key!r}")
        _check_text(key, "field name")
        text = format_value(value)
        _check_text(text, f"value of {key}")
        parts.append(f"{key}={text}".encode(ENCODING))
    line = _TAB.join(parts)
    if len(line) > MAX_LINE:
        raise ProtocolError(f"{message_type} line of {len(line)} bytes exceeds {MAX_LINE}")
    return line + b"\n"


# --- decoding -----------------------------------------------------------------------


def decode(line: bytes) -> Message:
    """A line (with or without its ``\\n``) as a :class:`Message`; ProtocolError if
    it is over-long, not GB18030 or not ``TYPE[\\tkey=value]...``."""
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    if len(line) > MAX_LINE:
        raise ProtocolError(f"line of {len(line)} bytes exceeds {MAX_LINE}")
    if b"\n" in line or b"\r" in line:
        raise ProtocolError("a line break inside a line")
    try:
        text = line.decode(ENCODING)
    except UnicodeDecodeError as error:
        raise ProtocolError(f"not {ENCODING} text: {error}") from None
    message_type, *pairs = text.split("\t")
    if not message_type or "=" in message_type:
        raise ProtocolError(f"bad message type {message_type!r}")
    fields: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ProtocolError(f"{message_type}: field {pair!r} is not key=value")
        fields[key] = value
    return Message(message_type, fields)


# --- CTP's structs ------------------------------------------------------------------


class DepthMarketData(msgspec.Struct, frozen=True, kw_only=True):
    """``CThostFtdcDepthMarketDataField`` in struct order (CTP 6.7, without the
    ``reserve`` members). Defaults are a ``memset`` struct's zeros."""

    TradingDay: str = ""
    ExchangeID: str = ""
    LastPrice: float = 0.0
    PreSettlementPrice: float = 0.0
    PreClosePrice: float = 0.0
    PreOpenInterest: float = 0.0
    OpenPrice: float = 0.0
    HighestPrice: float = 0.0
    LowestPrice: float = 0.0
    Volume: int = 0
    Turnover: float = 0.0
    OpenInterest: float = 0.0
    ClosePrice: float = 0.0
    SettlementPrice: float = 0.0
    UpperLimitPrice: float = 0.0
    LowerLimitPrice: float = 0.0
    PreDelta: float = 0.0
    CurrDelta: float = 0.0
    UpdateTime: str = ""
    UpdateMillisec: int = 0
    BidPrice1: float = 0.0
    BidVolume1: int = 0
    AskPrice1: float = 0.0
    AskVolume1: int = 0
    BidPrice2: float = 0.0
    BidVolume2: int = 0
    AskPrice2: float = 0.0
    AskVolume2: int = 0
    BidPrice3: float = 0.0
    BidVolume3: int = 0
    AskPrice3: float = 0.0
    AskVolume3: int = 0
    BidPrice4: float = 0.0
    BidVolume4: int = 0
    AskPrice4: float = 0.0
    AskVolume4: int = 0
    BidPrice5: float = 0.0
    BidVolume5: int = 0
    AskPrice5: float = 0.0
    AskVolume5: int = 0
    AveragePrice: float = 0.0
    ActionDay: str = ""
    InstrumentID: str = ""
    ExchangeInstID: str = ""
    BandingUpperPrice: float = 0.0
    BandingLowerPrice: float = 0.0


class RspUserLogin(msgspec.Struct, frozen=True, kw_only=True):
    """``CThostFtdcRspUserLoginField``: the members the front fills, in struct order."""

    TradingDay: str = ""
    LoginTime: str = ""
    BrokerID: str = ""
    UserID: str = ""
    SystemName: str = ""
    FrontID: int = 0
    SessionID: int = 0
    MaxOrderRef: str = ""
    SHFETime: str = ""
    DCETime: str = ""
    CZCETime: str = ""
    FFEXTime: str = ""
    INETime: str = ""
    GFEXTime: str = ""


class InstrumentField(msgspec.Struct, frozen=True, kw_only=True):
    """``CThostFtdcInstrumentField`` in struct order (CTP 6.7, without the ``reserve``
    members): one instrument of the trading side's instrument query."""

    ExchangeID: str = ""
    InstrumentName: str = ""
    ProductClass: str = ""
    """``1`` futures, ``2`` options, ``3`` combinations, ``4`` spot, ``6`` spot options."""
    DeliveryYear: int = 0
    DeliveryMonth: int = 0
    MaxMarketOrderVolume: int = 0
    MinMarketOrderVolume: int = 0
    MaxLimitOrderVolume: int = 0
    MinLimitOrderVolume: int = 0
    VolumeMultiple: int = 0
    PriceTick: float = 0.0
    CreateDate: str = ""
    OpenDate: str = ""
    ExpireDate: str = ""
    StartDelivDate: str = ""
    EndDelivDate: str = ""
    InstLifePhase: str = ""
    IsTrading: int = 0
    PositionType: str = ""
    PositionDateType: str = ""
    LongMarginRatio: float = 0.0
    ShortMarginRatio: float = 0.0
    MaxMarginSideAlgorithm: str = ""
    StrikePrice: float = 0.0
    OptionsType: str = ""
    """``1`` call, ``2`` put."""
    UnderlyingMultiple: float = 0.0
    CombinationType: str = ""
    InstrumentID: str = ""
    ExchangeInstID: str = ""
    ProductID: str = ""
    UnderlyingInstrID: str = ""


class RspAuthenticate(msgspec.Struct, frozen=True, kw_only=True):
    """``CThostFtdcRspAuthenticateField``."""

    BrokerID: str = ""
    UserID: str = ""
    UserProductInfo: str = ""
    AppID: str = ""
    AppType: str = ""


class SettlementInfoConfirm(msgspec.Struct, frozen=True, kw_only=True):
    """``CThostFtdcSettlementInfoConfirmField``."""

    BrokerID: str = ""
    InvestorID: str = ""
    ConfirmDate: str = ""
    ConfirmTime: str = ""
    SettlementID: int = 0
    AccountID: str = ""
    CurrencyID: str = ""


DEPTH_FIELDS: tuple[str, ...] = DepthMarketData.__struct_fields__
"""CThostFtdcDepthMarketDataField's members, in struct order."""
LOGIN_FIELDS: tuple[str, ...] = RspUserLogin.__struct_fields__
"""CThostFtdcRspUserLoginField's members the front sends, in struct order."""

PRICE_FIELDS: frozenset[str] = frozenset(
    name
    for name in DEPTH_FIELDS
    if name.endswith("Price") or name.startswith(("BidPrice", "AskPrice")) or "Delta" in name
)
"""The depth record's prices: ``DBL_MAX`` when the exchange set none."""

S = TypeVar("S", bound=msgspec.Struct)


def struct_fields(record: msgspec.Struct) -> list[tuple[str, Value]]:
    """A struct's members as ordered (name, value) pairs, ready for :func:`encode`."""
    return [(name, getattr(record, name)) for name in record.__struct_fields__]


def set_fields(record: msgspec.Struct) -> list[tuple[str, Value]]:
    """Only the members that are not zero or empty: the receiver's ``memset`` struct
    has the rest already, and the line is shorter."""
    return [(name, value) for name, value in struct_fields(record) if value not in ("", 0)]


def to_struct(cls: type[S], fields: Mapping[str, str]) -> S:
    """A CTP struct from a message's text fields: unknown keys ignored, absent members
    zero. ProtocolError for a number that does not parse."""
    values: dict[str, Value] = {}
    for name, kind in _members(cls):
        text = fields.get(name)
        if text is None:
            continue
        try:
            values[name] = kind(text)
        except ValueError:
            raise ProtocolError(f"{name}={text!r} is not a number") from None
    return cls(**values)


@cache
def _members(cls: type[msgspec.Struct]) -> tuple[tuple[str, Callable[[str], Value]], ...]:
    """(name, conversion from text) of each member of a CTP struct."""
    members: list[tuple[str, Callable[[str], Value]]] = []
    for info in msgspec.structs.fields(cls):
        kind: Callable[[str], Value] = str
        if info.type is int:
            kind = int
        elif info.type is float:
            kind = float
        members.append((info.name, kind))
    return tuple(members)
