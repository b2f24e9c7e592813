from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.sim.feed import (
    DAY_NS,
    DAY_START_NS,
    NS,
    SimFeed,
    period_ns,
    slot_due,
    tick_at,
)

PRICE_FIELDS = (
    "last_price",
    "limit_up",
    "limit_down",
    "open_price",
    "high_price",
    "low_price",
    "pre_close",
    *(f"{side}_price_{level}" for side in ("bid", "ask") for level in range(1, 6)),
)

# 2020-01-01 .. 2040-01-01 at 2 slots/s
SLOTS_2020 = 2 * 1_577_836_800
SLOTS_2040 = 2 * 2_208_988_800

symbols = st.sampled_from(
    [
        "rb2605.SHFE",
        "au2602.SHFE",
        "m2605.DCE",
        "SR605.CZCE",
        "IF2512.CFFEX",
        "sc2603.INE",
        "zz9999.GFEX",
        "xyz123.SHFE",
    ]
)
slots = st.integers(min_value=SLOTS_2020, max_value=SLOTS_2040)
seeds = st.integers(min_value=0, max_value=2**31)
rates = st.sampled_from([0.5, 1.0, 2.0, 4.0, 10.0, 100.0])


@given(symbols, slots, seeds, rates)
def test_the_same_slot_gives_the_same_tick_in_a_fresh_feed(vt_symbol, slot, seed, rate):
    first = SimFeed(vt_symbol, seed, rate).tick(slot, "sim-a")
    second = SimFeed(vt_symbol, seed, rate).tick(slot, "sim-a")
    assert asdict(first) == asdict(second)


def test_two_sources_differ_only_in_their_gateway_name():
    a = tick_at("rb2605.SHFE", SLOTS_2020 + 12345, gateway_name="sim-a")
    b = tick_at("rb2605.SHFE", SLOTS_2020 + 12345, gateway_name="sim-b")
    assert {**asdict(a), "gateway_name": ""} == {**asdict(b), "gateway_name": ""}


def test_a_feed_that_walked_other_slots_first_still_agrees():
    # The generator computes slots in order; a late joiner jumps straight in.
    walker = SimFeed("m2605.DCE")
    start = SLOTS_2020 + 777
    for slot in range(start - 500, start):
        walker.tick(slot)
    assert asdict(walker.tick(start)) == asdict(SimFeed("m2605.DCE").tick(start))


def test_seed_and_contract_change_the_content():
    slot = SLOTS_2020 + 99
    base = asdict(tick_at("rb2605.SHFE", slot))
    other_seed = asdict(tick_at("rb2605.SHFE", slot, seed=1))
    other_contract = asdict(tick_at("rb2610.SHFE", slot))
    for other in (other_seed, other_contract):
        assert (other["last_price"], other["volume"], other["bid_volume_1"]) != (
            base["last_price"],
            base["volume"],
            base["bid_volume_1"],
        )


@given(symbols, slots, seeds, rates)
def test_the_datetime_is_the_slot_start_in_beijing(vt_symbol, slot, seed, rate):
    tick = SimFeed(vt_symbol, seed, rate).tick(slot)
    assert tick.datetime.tzinfo is CHINA_TZ
    expected_ns = slot * period_ns(rate)
    assert tick.datetime == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=expected_ns // 1_000
    )


@given(symbols, slots, seeds, rates)
def test_a_real_book_has_every_price_on_the_grid_and_inside_the_limits(vt_symbol, slot, seed, rate):
    feed = SimFeed(vt_symbol, seed, rate)
    tick = feed.tick(slot)
    step = feed.spec.tick_size
    for name in PRICE_FIELDS:
        price = getattr(tick, name)
        assert price is not None and price > 0, name
        assert abs(price / step - round(price / step)) < 1e-6, (name, price, step)
        assert tick.limit_down <= price <= tick.limit_up, name
    bids = [getattr(tick, f"bid_price_{i}") for i in range(1, 6)]
    asks = [getattr(tick, f"ask_price_{i}") for i in range(1, 6)]
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == 5
    assert asks == sorted(asks) and len(set(asks)) == 5
    assert bids[0] < asks[0]
    assert tick.last_price in (bids[0], asks[0])
    assert tick.low_price <= tick.last_price <= tick.high_price
    assert tick.low_price <= tick.open_price <= tick.high_price
    for i in range(1, 6):
        assert getattr(tick, f"bid_volume_{i}") >= 1
        assert getattr(tick, f"ask_volume_{i}") >= 1
    assert tick.open_interest > 0


@settings(max_examples=30, deadline=None)
@given(symbols, slots, seeds, rates, st.integers(min_value=50, max_value=400))
def test_volume_turnover_and_extremes_never_retreat_within_a_trading_day(
    vt_symbol, start, seed, rate, count
):
    feed = SimFeed(vt_symbol, seed, rate)
    previous = feed.tick(start)
    for slot in range(start + 1, start + count):
        tick = feed.tick(slot)
        if feed.trading_day_first_slot(slot) == slot:
            # The new sim trading day: counters restart, as CTP's do.
            assert tick.volume == tick.last_volume
        else:
            assert tick.volume >= previous.volume
            assert tick.volume - previous.volume == tick.last_volume
            assert tick.turnover >= previous.turnover
            assert tick.high_price >= previous.high_price
            assert tick.low_price <= previous.low_price
            assert tick.open_price == previous.open_price
        previous = tick


def test_the_trading_day_starts_at_five_pm_beijing_and_volume_restarts_there():
    feed = SimFeed("rb2605.SHFE", ticks_per_second=2.0)
    day = 20_000
    first = (day * DAY_NS + DAY_START_NS) // period_ns(2.0)
    before, at = feed.tick(first - 1), feed.tick(first)
    assert at.datetime.hour == 17 and at.datetime.minute == 0 and at.datetime.second == 0
    assert feed.trading_day_first_slot(first) == first
    assert feed.trading_day_first_slot(first - 1) < first
    assert at.volume < before.volume
    assert at.volume == at.last_volume


def test_gold_prices_print_without_float_noise():
    tick = tick_at("au2602.SHFE", SLOTS_2020 + 5)
    for name in PRICE_FIELDS:
        price = getattr(tick, name)
        assert repr(price) == repr(round(price, 2)), (name, price)


def test_bad_inputs_are_refused_with_clear_errors():
    with pytest.raises(ValueError, match=r"SYMBOL\.EXCHANGE"):
        SimFeed("rb2605")
    with pytest.raises(ValueError):
        SimFeed("rb2605.NOPE")
    with pytest.raises(ValueError, match="ticks_per_second"):
        SimFeed("rb2605.SHFE", ticks_per_second=0)
    with pytest.raises(ValueError, match="ticks_per_second"):
        SimFeed("rb2605.SHFE", ticks_per_second=float("nan"))


def test_slot_due_counts_the_arrival_delay():
    period = period_ns(2.0)
    now = 1_000 * NS + 100_000_000  # 100 ms into slot 2000
    assert slot_due(now, period) == 2_000
    assert slot_due(now, period, delay_ns=200_000_000) == 1_999
