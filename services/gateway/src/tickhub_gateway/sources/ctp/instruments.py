"""CTP's instrument records (``CThostFtdcInstrumentField`` as vnpy_ctp hands them over,
a dict) -> tickhub's :class:`~tickhub_contracts.messages.Instrument`. Pure.

CTP marks "no value" in its own ways: an empty date string, ``DBL_MAX`` in a price
field; both become "not given" here rather than a date in year 0 or a strike of 1.8e308.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from tickhub_contracts.messages import Instrument, InstrumentKind, OptionType

# THOST_FTDC_PC_*: 1 futures, 2 options, 3 combination, 4 spot, 5 EFP, 6 spot option,
# 7 TAS, 8 index (MI).
PRODUCT_CLASSES: dict[str, InstrumentKind] = {
    "1": "future",
    "2": "option",
    "3": "spread",
    "6": "option",
}
# THOST_FTDC_CP_CallOptions / PutOptions.
OPTION_TYPES: dict[str, OptionType] = {"1": "call", "2": "put"}

_NO_PRICE = sys.float_info.max / 2


def ctp_date(text: str) -> dt.date | None:
    """``'20260515'`` -> that date; anything else (``''``, ``'0'``) -> None."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number or abs(number) >= _NO_PRICE else number


def instrument_of(data: dict[str, Any]) -> Instrument | None:
    """The Instrument of one record; None for one without a symbol or an exchange."""
    symbol = str(data.get("InstrumentID") or "").strip()
    exchange = str(data.get("ExchangeID") or "").strip()
    if not symbol or not exchange:
        return None
    kind = PRODUCT_CLASSES.get(str(data.get("ProductClass") or ""), "other")
    underlying = str(data.get("UnderlyingInstrID") or "").strip() if kind == "option" else ""
    strike = _number(data.get("StrikePrice")) if kind == "option" else None
    return Instrument(
        vt_symbol=f"{symbol}.{exchange}",
        symbol=symbol,
        exchange=exchange,
        product=str(data.get("ProductID") or "").strip(),
        kind=kind,
        name=str(data.get("InstrumentName") or ""),
        expiry=ctp_date(str(data.get("ExpireDate") or "")),
        listed=ctp_date(str(data.get("OpenDate") or "")),
        tick_size=_number(data.get("PriceTick")) or 0.0,
        multiplier=_number(data.get("VolumeMultiple")) or 0.0,
        underlying=f"{underlying}.{exchange}" if underlying else "",
        option_type=OPTION_TYPES.get(str(data.get("OptionsType") or ""), "")
        if kind == "option"
        else "",
        strike=strike,
    )
