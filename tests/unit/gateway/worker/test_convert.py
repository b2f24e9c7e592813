from datetime import datetime

import msgspec
from vnpy.trader.constant import Exchange
from vnpy.trader.object import TickData

from tickhub_contracts import codec
from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.sim.feed import tick_at
from tickhub_gateway.worker.convert import tick_message

VNPY_FIELDS = [name for name in TickData.__dataclass_fields__ if name not in ("extra", "exchange")]


def test_every_vnpy_field_is_copied_and_tickhub_fields_are_set():
    data = tick_at("rb2605.SHFE", 3_600_000_000, gateway_name="sim-a")
    data.localtime = datetime(2026, 11, 24, 21, 0, 0, 600_000)
    tick = tick_message(data, "sim-a", 123, live=False)
    for name in VNPY_FIELDS:
        assert getattr(tick, name) == getattr(data, name), name
    assert tick.exchange == "SHFE"
    assert (tick.source, tick.received_ns, tick.live, tick.seq, tick.epoch) == (
        "sim-a",
        123,
        False,
        None,
        0,
    )
    # Every Tick field but tickhub's own comes from vnpy: none forgotten.
    own = {"source", "received_ns", "live", "in_session", "seq", "epoch", "exchange"}
    assert set(Tick.__struct_fields__) - own == set(VNPY_FIELDS)


def test_missing_prices_stay_none_through_json():
    data = TickData(
        gateway_name="ctp-a",
        symbol="m2605",
        exchange=Exchange.DCE,
        datetime=datetime(2026, 11, 24, 21, 0, 0, 500_000, CHINA_TZ),
        last_price=3000.0,
    )
    setattr(data, "ask_price_1", None)  # what normalise makes of CTP's DBL_MAX  # noqa: B010
    tick = codec.decode(codec.encode(tick_message(data, "ctp-a", 1, True)), Tick)
    assert tick.ask_price_1 is None
    assert tick.last_price == 3000.0


def test_a_naive_datetime_is_taken_as_beijing_time():
    data = TickData(
        gateway_name="x", symbol="SR605", exchange=Exchange.CZCE, datetime=datetime(2026, 1, 5, 9)
    )
    tick = tick_message(data, "x", 1, True)
    assert tick.datetime == datetime(2026, 1, 5, 9, tzinfo=CHINA_TZ)
    assert b'"datetime":"2026-01-05T09:00:00+08:00"' in msgspec.json.encode(tick)
