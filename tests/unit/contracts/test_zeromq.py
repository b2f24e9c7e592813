"""The ZeroMQ payload: every Tick field survives msgpack."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_type_hints

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts import codec, zeromq
from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ

prices = st.none() | st.floats(allow_nan=False, allow_infinity=False)
amounts = st.floats(allow_nan=False, allow_infinity=False)
names = st.text(max_size=20)


def _field_strategy(name: str, hint: Any) -> st.SearchStrategy[Any]:
    if name == "datetime":
        # From 2000: China's 1986-91 daylight saving left wall-clock times that never
        # existed, which Python compares inconsistently whatever the encoding.
        return st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2200, 1, 1),
            timezones=st.sampled_from([CHINA_TZ, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]),
        )
    if name == "localtime":
        return st.none() | st.datetimes()
    if name == "seq":
        return st.none() | st.integers(1, 2**63 - 1)
    if name in ("received_ns", "epoch"):
        return st.integers(0, 2**63 - 1)
    if hint is bool:
        return st.booleans()
    if hint is str:
        return names
    if hint is float:
        return amounts
    if hint == float | None:
        return prices
    raise AssertionError(f"no strategy for Tick.{name}: {hint}")  # a new field: add it


HINTS = get_type_hints(Tick)
full_ticks = st.fixed_dictionaries(
    {name: _field_strategy(name, HINTS[name]) for name in Tick.__struct_fields__}
).map(lambda fields: Tick(**fields))


@given(full_ticks)
def test_every_field_survives_a_round_trip(tick: Tick) -> None:
    back = zeromq.decode(zeromq.encode(tick))
    for name in Tick.__struct_fields__:
        assert getattr(back, name) == getattr(tick, name), name
    # The instant survives exactly; the wall clock is recovered by converting.
    assert back.datetime.astimezone(CHINA_TZ) == tick.datetime.astimezone(CHINA_TZ)
    assert back.datetime.astimezone(CHINA_TZ).isoformat() == (
        tick.datetime.astimezone(CHINA_TZ).isoformat()
    )
    assert back.localtime == tick.localtime
    assert (back.localtime is None) or back.localtime.tzinfo is None


@given(full_ticks)
def test_encode_into_a_reused_buffer_gives_the_same_bytes(tick: Tick) -> None:
    buffer = bytearray(b"leftover from a longer previous tick" * 50)
    zeromq.encode_into(tick, buffer)
    assert bytes(buffer) == zeromq.encode(tick)


def test_the_payload_is_a_plain_msgpack_map_keyed_by_field_name() -> None:
    tick = Tick(
        symbol="rb2605",
        exchange="SHFE",
        datetime=dt.datetime(2026, 11, 24, 21, 0, 0, 500_000, CHINA_TZ),
        last_price=3500.0,
        bid_price_1=None,
        source="sim-a",
        seq=7,
    )
    generic = msgspec.msgpack.decode(zeromq.encode(tick))
    assert list(generic) == list(Tick.__struct_fields__)
    assert generic["seq"] == 7
    assert generic["source"] == "sim-a"
    assert generic["bid_price_1"] is None
    assert generic["last_price"] == 3500.0
    # msgpack timestamp extension, read back as UTC: 21:00:00.5 in Shanghai
    assert generic["datetime"] == dt.datetime(2026, 11, 24, 13, 0, 0, 500_000, dt.UTC)


def test_the_topic_is_the_vt_symbol_as_vnpy_spells_it() -> None:
    assert zeromq.topic("rb2605.SHFE") == b"rb2605.SHFE"
    assert zeromq.topic("SR605.CZCE") == b"SR605.CZCE"


def test_a_foreign_payload_raises_a_typed_error() -> None:
    with pytest.raises(codec.DecodeError):
        zeromq.decode(b"\xc1")
    with pytest.raises(codec.DecodeError):
        zeromq.decode(msgspec.msgpack.encode({"hello": "world"}))
