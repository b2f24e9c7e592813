"""The simulated market's listings over a whole year: contracts come and go as the
exchanges' rules say (approximately), and the list is always complete."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from tickhub_contracts.messages import Instrument
from tickhub_gateway.sources.sim import listings
from tickhub_gateway.sources.sim.listings import PRODUCTS, listed, product_of
from tickhub_gateway.sources.sim.products import PRODUCTS as SPECS
from tickhub_gateway.sources.sim.products import spec_for

YEAR = 2026
DAYS = [date(YEAR, 1, 1) + timedelta(days=n) for n in range(365)]
TRADING_DAYS = [day for day in DAYS if listings.is_trading_day(day)]


@pytest.fixture(scope="module")
def year() -> dict[date, list[Instrument]]:
    """Every trading day of the year's whole market, options included."""
    return {day: listed(day) for day in TRADING_DAYS}


def futures(instruments: list[Instrument]) -> list[Instrument]:
    return [i for i in instruments if i.kind == "future"]


def test_the_year_has_its_trading_days() -> None:
    assert 240 <= len(TRADING_DAYS) <= 250  # 2026: weekdays less the holidays


def test_no_instrument_is_listed_outside_its_life(year: dict[date, list[Instrument]]) -> None:
    for day, instruments in year.items():
        for instrument in instruments:
            assert instrument.listed is not None and instrument.expiry is not None
            assert instrument.listed <= day <= instrument.expiry, (day, instrument)


def test_every_product_always_has_its_months(year: dict[date, list[Instrument]]) -> None:
    expected = {"rb": {12}, "cu": {12}, "m": {8}, "SR": {6}, "IF": {4}, "T": {3}, "au": {8}}
    counts: dict[str, set[int]] = defaultdict(set)
    for instruments in year.values():
        per_product = Counter(i.product for i in futures(instruments))
        for product in PRODUCTS:
            counts[product.product].add(per_product[product.product])
    for name, seen in counts.items():
        assert 0 not in seen, name
        if name in expected:
            assert seen == expected[name], name
        else:  # the same number every day, whatever the day
            assert len(seen) == 1, (name, seen)


def test_a_contract_never_changes_and_expiries_move_forward(
    year: dict[date, list[Instrument]],
) -> None:
    seen: dict[str, Instrument] = {}
    nearest: dict[str, date] = {}
    for instruments in year.values():
        front: dict[str, date] = {}
        for instrument in instruments:
            assert seen.setdefault(instrument.vt_symbol, instrument) == instrument
            if instrument.kind == "future":
                assert instrument.expiry is not None
                front[instrument.product] = min(
                    front.get(instrument.product, instrument.expiry), instrument.expiry
                )
        for product, expiry in front.items():
            assert expiry >= nearest.get(product, expiry), product
            nearest[product] = expiry


def test_new_months_appear_as_old_ones_expire(year: dict[date, list[Instrument]]) -> None:
    days = list(year)
    appeared = 0
    for before, after in itertools.pairwise(days):
        old = {i.vt_symbol: i for i in year[before]}
        new = {i.vt_symbol: i for i in year[after]}
        for gone in old.keys() - new.keys():
            expiry = old[gone].expiry
            assert expiry is not None and before == expiry, (gone, before, after)
        for fresh in new.keys() - old.keys():
            assert new[fresh].listed == after, (fresh, after)
            appeared += 1
        # a product's month that expired is replaced the next trading day
        gone_futures = Counter(old[s].product for s in old.keys() - new.keys()
                               if old[s].kind == "future")  # fmt: skip
        new_futures = Counter(new[s].product for s in new.keys() - old.keys()
                              if new[s].kind == "future")  # fmt: skip
        for product, count in gone_futures.items():
            assert new_futures[product] >= 1, (product, after)
            if product not in ("IF", "IH", "IC", "IM"):  # a quarter month may list early
                assert new_futures[product] == count, (product, after)
    assert appeared > 10_000  # a year of new months and their option chains


def test_options_underlyings_are_listed_futures_of_the_same_exchange(
    year: dict[date, list[Instrument]],
) -> None:
    for instruments in year.values():
        by_symbol = {i.vt_symbol: i for i in instruments}
        for option in (i for i in instruments if i.kind == "option"):
            underlying = by_symbol[option.underlying]
            assert underlying.kind == "future"
            assert underlying.exchange == option.exchange
            assert option.expiry is not None and underlying.expiry is not None
            assert option.expiry <= underlying.expiry
            assert option.option_type in ("call", "put") and option.strike is not None


def test_the_whole_market_counts_tens_of_thousands(year: dict[date, list[Instrument]]) -> None:
    sizes = [len(instruments) for instruments in year.values()]
    assert min(sizes) >= 20_000 and max(sizes) <= 40_000, (min(sizes), max(sizes))
    only_futures = [len(listed(day, options=False)) for day in TRADING_DAYS[::20]]
    assert all(700 <= size <= 1_200 for size in only_futures), only_futures
    exchanges = {i.exchange for i in year[TRADING_DAYS[0]]}
    assert exchanges == {"SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX"}


def test_symbols_are_written_as_each_exchange_writes_them() -> None:
    day = date(2026, 3, 10)
    symbols = {i.symbol: i for i in listed(day)}
    for symbol in (
        "rb2605",
        "SR605",
        "IF2603",
        "IF2604",
        "IF2606",
        "IF2609",
        "T2606",
        "sc2604",
        "au2606C600",
        "m2605-C-3000",
        "SR605C5600",
        "IO2606-C-3900",
        "si2605-P-4000",
    ):
        assert symbol in symbols, symbol  # fmt: skip
    patterns = {
        "SHFE": r"[a-z]{1,2}\d{4}([CP]\d+)?",
        "INE": r"[a-z]{2}\d{4}([CP]\d+)?",
        "DCE": r"[a-z]{1,2}\d{4}(-[CP]-\d+)?",
        "GFEX": r"[a-z]{2}\d{4}(-[CP]-\d+)?",
        "CZCE": r"[A-Z]{2}\d{3}([CP]\d+)?",
        "CFFEX": r"(I[FHCM]|T[FSL]?)\d{4}|[IHM]O\d{4}-[CP]-\d+",
    }
    for instrument in symbols.values():
        assert re.fullmatch(patterns[instrument.exchange], instrument.symbol), instrument
        assert instrument.vt_symbol == f"{instrument.symbol}.{instrument.exchange}"
    option = symbols["IO2606-C-3900"]
    assert (option.product, option.underlying, option.strike, option.option_type) == (
        "IO", "IF2606.CFFEX", 3900.0, "call",
    )  # fmt: skip
    assert symbols["au2606C600"].product == "au_o"
    assert symbols["m2605-C-3000"].product == "m_o"
    assert symbols["SR605"].name == "白糖605" and symbols["SR605C5600"].name == "SR605C5600"


def test_names_fit_ctps_instrument_name(year: dict[date, list[Instrument]]) -> None:
    names = {i.name for instruments in year.values() for i in instruments}
    assert max(len(name.encode("gb18030")) for name in names) <= 20  # char[21], NUL-ended


def test_last_trading_days_follow_each_exchanges_rule() -> None:
    day = date(2026, 3, 10)
    expiry = {i.symbol: i.expiry for i in listed(day, options=False)}
    assert expiry["rb2605"] == date(2026, 5, 15)  # SHFE: the 15th
    assert expiry["rb2608"] == date(2026, 8, 17)  # the 15th is a Saturday: Monday
    assert expiry["IF2603"] == date(2026, 3, 20)  # CFFEX: the third Friday
    assert expiry["T2606"] == date(2026, 6, 12)  # bonds: the second Friday
    assert expiry["m2605"] == listings.nth_trading_day(listings.month_of(2026, 5), 10)
    assert expiry["sc2605"] == date(2026, 4, 30)  # INE crude: last trading day before
    # Golden Week: 1-5 May 2026 are holidays, so DCE's 10th trading day of May is late.
    assert expiry["m2605"] > date(2026, 5, 14)


def test_the_front_month_rolls_the_day_after_its_last_trading_day() -> None:
    rb = product_of("SHFE", "rb")
    assert rb is not None
    before = {i.symbol for i in listed(date(2026, 5, 15), options=False) if i.product == "rb"}
    after = {i.symbol for i in listed(date(2026, 5, 18), options=False) if i.product == "rb"}
    assert before - after == {"rb2605"}
    assert after - before == {"rb2705"}
    new = next(i for i in listed(date(2026, 5, 18)) if i.symbol == "rb2705")
    assert new.listed == date(2026, 5, 18)


def test_a_day_that_does_not_trade_is_the_next_one_that_does() -> None:
    assert listed(date(2026, 3, 7)) == listed(date(2026, 3, 9))  # Saturday -> Monday


def test_tick_sizes_and_multipliers_agree_with_the_sims_products() -> None:
    for product in PRODUCTS:
        spec = SPECS.get(product.product)
        if spec is not None:
            assert (product.tick_size, product.multiplier) == (spec.tick_size, spec.multiplier)


def test_strikes_are_a_round_ladder_around_the_base_price() -> None:
    for product in PRODUCTS:
        if product.options is None:
            continue
        ladder = listings.strikes(product)
        steps = {b - a for a, b in itertools.pairwise(ladder)}
        assert len(steps) == 1 and all(isinstance(s, int) for s in ladder), product.product
        base = spec_for(product.product).base_price
        assert ladder[0] < base < ladder[-1], product.product


def test_deterministic_from_cold() -> None:
    # How fast it builds is the benchmark's business (a timed test fails under load).
    day = date(2026, 9, 1)
    first = listed(day)
    for cached in (
        listings._listed,
        listings.future,
        listings.option_chain,
        listings.listing_day,
        listings._expiry,
        listings._option_expiry,
    ):
        cached.cache_clear()  # fmt: skip
    again = listed(day)
    assert again == first and again is not first
    assert listed(day) is not listed(day)  # a new list each call: the caller may change it
