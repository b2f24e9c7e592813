from datetime import datetime

import msgspec
import pytest

from tickhub_contracts import codec
from tickhub_contracts.messages import Command, Tick
from tickhub_contracts.timezone import CHINA_TZ


def test_tick_json_round_trip_keeps_the_timezone() -> None:
    tick = Tick(
        symbol="rb2605",
        exchange="SHFE",
        datetime=datetime(2026, 11, 24, 21, 0, 0, 500_000, CHINA_TZ),
        last_price=3500.0,
        volume=10,
        source="sim-a",
    )
    data = codec.encode(tick)
    assert b'"datetime":"2026-11-24T21:00:00.500000+08:00"' in data
    back = codec.decode(data, Tick)
    assert back == tick
    assert back.datetime.utcoffset() == tick.datetime.utcoffset()
    assert back.vt_symbol == "rb2605.SHFE"


def test_missing_prices_are_null_not_zero() -> None:
    tick = Tick(
        symbol="rb2605", exchange="SHFE", datetime=datetime(2026, 11, 24, 21, tzinfo=CHINA_TZ)
    )
    assert b'"bid_price_1":null' in codec.encode(tick)


def test_a_foreign_message_is_refused_with_a_typed_error() -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode(b'{"hello": "world"}', Tick)
    with pytest.raises(codec.DecodeError):
        codec.decode(b"\x00not json", Tick)
    with pytest.raises(msgspec.ValidationError):
        codec.decode(b'{"action": "explode"}', Command)
