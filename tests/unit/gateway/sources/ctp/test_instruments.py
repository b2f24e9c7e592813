import datetime as dt
import sys

import pytest

from tickhub_gateway.sources.ctp.instruments import ctp_date, instrument_of

FUTURE = {
    "InstrumentID": "rb2605",
    "ExchangeID": "SHFE",
    "InstrumentName": "螺纹钢2605",
    "ProductID": "rb",
    "ProductClass": "1",
    "ExpireDate": "20260515",
    "OpenDate": "20250516",
    "PriceTick": 1.0,
    "VolumeMultiple": 10,
    "UnderlyingInstrID": "rb",
    "OptionsType": "\x00",
    "StrikePrice": sys.float_info.max,
}


def test_a_future_keeps_its_dates_tick_and_multiplier_and_has_no_option_fields():
    instrument = instrument_of(FUTURE)
    assert instrument is not None
    assert instrument.vt_symbol == "rb2605.SHFE" and instrument.kind == "future"
    assert instrument.expiry == dt.date(2026, 5, 15) and instrument.listed == dt.date(2025, 5, 16)
    assert (instrument.tick_size, instrument.multiplier) == (1.0, 10.0)
    # CTP fills UnderlyingInstrID with the product for a future: not an underlying.
    assert instrument.underlying == "" and instrument.strike is None
    assert instrument.name == "螺纹钢2605"


def test_an_option_names_its_underlying_as_a_vt_symbol_and_its_strike():
    record = FUTURE | {
        "InstrumentID": "au2606C600",
        "ProductID": "au_o",
        "ProductClass": "2",
        "UnderlyingInstrID": "au2606",
        "OptionsType": "1",
        "StrikePrice": 600.0,
    }
    instrument = instrument_of(record)
    assert instrument is not None
    assert instrument.kind == "option" and instrument.option_type == "call"
    assert instrument.underlying == "au2606.SHFE" and instrument.strike == 600.0


@pytest.mark.parametrize(
    ("product_class", "kind"), [("3", "spread"), ("4", "other"), ("8", "other")]
)
def test_other_product_classes_are_told_apart(product_class: str, kind: str) -> None:
    instrument = instrument_of(FUTURE | {"ProductClass": product_class})
    assert instrument is not None and instrument.kind == kind


@pytest.mark.parametrize("missing", ["InstrumentID", "ExchangeID"])
def test_a_record_without_symbol_or_exchange_is_no_instrument(missing: str) -> None:
    assert instrument_of(FUTURE | {missing: ""}) is None


@pytest.mark.parametrize(
    ("text", "day"), [("20260515", dt.date(2026, 5, 15)), ("", None), ("0", None)]
)
def test_ctp_dates(text: str, day: dt.date | None) -> None:
    assert ctp_date(text) == day
