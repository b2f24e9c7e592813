"""Resolving entries against the catalog on a trading day."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tickhub_universe.catalog import Catalog
from tickhub_universe.entries import Entry, parse_entry
from tickhub_universe.resolve import is_live, resolve

from .market import TODAY, instrument, option, whole_market

DAY = date(2026, 3, 2)
LISTED, EXPIRY = DAY - timedelta(days=300), DAY + timedelta(days=60)

RB05 = instrument("rb2605.SHFE", listed=LISTED, expiry=EXPIRY)
RB10 = instrument("rb2610.SHFE", listed=DAY - timedelta(days=100), expiry=date(2026, 10, 15))
RB03 = instrument("rb2603.SHFE", listed=date(2025, 3, 1), expiry=DAY - timedelta(days=1))
RB11 = instrument("rb2611.SHFE", listed=DAY + timedelta(days=1), expiry=date(2026, 11, 15))
HC05 = instrument("hc2605.SHFE", listed=LISTED, expiry=EXPIRY)
AU06 = instrument("au2606.SHFE")  # dates unknown: live
AU_CALL = option("au2606.SHFE", "call", 500)
AU_PUT = option("au2606.SHFE", "put", 500)
AU_OLD = option("au2606.SHFE", "call", 400, expiry=DAY - timedelta(days=1))
SPREAD = instrument("SPrb2605-rb2610.SHFE", "spread")
SR605 = instrument("SR605.CZCE", listed=LISTED, expiry=EXPIRY)
SR_CALL = option("SR605.CZCE", "call", 6000)
SI = instrument("si2606.GFEX")
IF = instrument("IF2603.CFFEX")
IO = instrument("IO2603-C-4000.CFFEX", "option", product="IO")  # an index option

CATALOG = Catalog(
    [
        *(RB05, RB10, RB03, RB11, HC05, AU06, AU_CALL, AU_PUT, AU_OLD),
        *(SPREAD, SR605, SR_CALL, SI, IF, IO),
    ]
)


def entries(*texts: str, options: bool = False) -> list[Entry]:
    return [parse_entry(text, options=options) for text in texts]


def contracts(*texts: str, options: bool = False, catalog: Catalog = CATALOG) -> list[str]:
    return list(resolve(entries(*texts, options=options), catalog, DAY).contracts)


def test_live_means_listed_by_the_day_and_not_expired_before_it() -> None:
    assert is_live(instrument("a.DCE", listed=DAY, expiry=DAY), DAY)
    assert not is_live(instrument("a.DCE", listed=DAY + timedelta(1)), DAY)
    assert not is_live(instrument("a.DCE", expiry=DAY - timedelta(1)), DAY)
    assert is_live(instrument("a.DCE"), DAY)


def test_a_product_takes_its_live_months() -> None:
    assert contracts("rb.SHFE") == ["rb2605.SHFE", "rb2610.SHFE"]
    assert contracts("rb.SHFE", options=True) == ["rb2605.SHFE", "rb2610.SHFE"]
    assert contracts("au.SHFE") == ["au2606.SHFE"]
    assert contracts("au.SHFE", options=True) == [
        "au2606.SHFE",
        "au2606C500.SHFE",
        "au2606P500.SHFE",
    ]


def test_an_exchange_takes_its_live_futures_and_with_options_theirs() -> None:
    shfe = ["au2606.SHFE", "hc2605.SHFE", "rb2605.SHFE", "rb2610.SHFE"]
    assert contracts("SHFE") == shfe
    assert contracts("SHFE", options=True) == sorted([*shfe, "au2606C500.SHFE", "au2606P500.SHFE"])
    # An option on an index, not on a future of the exchange: not the exchange's.
    assert contracts("CFFEX", options=True) == ["IF2603.CFFEX"]


def test_a_pattern_matches_symbols_case_sensitively() -> None:
    assert contracts("rb26*.SHFE") == ["rb2605.SHFE", "rb2610.SHFE"]
    assert contracts("RB26*.SHFE") == []
    assert contracts("*.GFEX") == ["si2606.GFEX"]
    assert contracts("*605.*") == ["SR605.CZCE", "hc2605.SHFE", "rb2605.SHFE"]
    assert contracts("?b260[0-5].SHFE") == ["rb2605.SHFE"]


def test_a_pattern_with_options_takes_the_options_it_matches() -> None:
    assert contracts("au*.SHFE", options=True) == [
        "au2606.SHFE",
        "au2606C500.SHFE",
        "au2606P500.SHFE",
    ]
    # Options alone, and an index option, which no product entry reaches.
    assert contracts("au2606C*.SHFE", options=True) == ["au2606C500.SHFE"]
    assert contracts("IO*.CFFEX", options=True) == ["IO2603-C-4000.CFFEX"]
    assert contracts("au2606C*.SHFE") == []


def test_spreads_come_only_by_their_exact_entry() -> None:
    assert SPREAD.vt_symbol not in contracts("SHFE", "rb.SHFE", "SP*.SHFE", "*.*", options=True)
    assert contracts(SPREAD.vt_symbol) == [SPREAD.vt_symbol]


def test_an_exact_contract_is_taken_when_listed_live_else_reported() -> None:
    resolved = resolve(
        entries("rb2605.SHFE", "rb2603.SHFE", "rb2611.SHFE", "rb2701.SHFE", "au2606C500.SHFE"),
        CATALOG,
        DAY,
    )
    assert list(resolved.contracts) == ["au2606C500.SHFE", "rb2605.SHFE"]
    assert resolved.not_listed == ("rb2603.SHFE", "rb2611.SHFE", "rb2701.SHFE")
    assert resolved.unmatched == ()


def test_without_a_catalog_exact_contracts_are_taken_as_written() -> None:
    resolved = resolve(
        entries("rb2605.SHFE", "rb.SHFE", "SHFE", "rb888.SHFE", "*.SHFE"), Catalog([]), DAY
    )
    assert resolved.contracts == {"rb2605.SHFE": ("rb2605.SHFE",)}
    assert resolved.products == {"rb2605.SHFE": "rb.SHFE"}
    assert resolved.unmatched == ("rb.SHFE", "SHFE", "rb888.SHFE", "*.SHFE")
    assert resolved.not_listed == ()
    assert resolved.aliases == {"rb888.SHFE": "rb.SHFE"}


def test_an_alias_brings_every_live_month_of_its_product() -> None:
    resolved = resolve(entries("rb888.SHFE", "ni888.SHFE"), CATALOG, DAY)
    assert list(resolved.contracts) == ["rb2605.SHFE", "rb2610.SHFE"]
    assert resolved.aliases == {"ni888.SHFE": "ni.SHFE", "rb888.SHFE": "rb.SHFE"}
    assert resolved.unmatched == ("ni888.SHFE",)


def test_each_contract_says_which_entries_bring_it_and_its_product() -> None:
    resolved = resolve(
        entries("rb2605.SHFE", "rb.SHFE", "SHFE", "au2606C*.SHFE", options=True), CATALOG, DAY
    )
    assert resolved.trading_day == DAY
    assert resolved.contracts["rb2605.SHFE"] == ("SHFE", "rb.SHFE", "rb2605.SHFE")
    assert resolved.contracts["au2606C500.SHFE"] == ("SHFE", "au2606C*.SHFE")
    assert resolved.products["au2606C500.SHFE"] == "au.SHFE"
    assert resolved.products["hc2605.SHFE"] == "hc.SHFE"
    assert set(resolved.products) == set(resolved.contracts)


def test_entries_that_bring_nothing_are_reported_once_in_order() -> None:
    resolved = resolve(entries("zz.SHFE", "rb2605.SHFE", "x*.DCE", "zz.SHFE"), CATALOG, DAY)
    assert resolved.unmatched == ("zz.SHFE", "x*.DCE")


TEXTS = [
    "SHFE", "CZCE", "GFEX", "CFFEX", "rb.SHFE", "au.SHFE", "SR.CZCE", "zz.DCE", "rb888.SHFE",
    "rb2605.SHFE", "rb2603.SHFE", "SR605.CZCE", SPREAD.vt_symbol, "au2606C500.SHFE",
    "rb26*.SHFE", "*.*", "au2606?*.SHFE", "IO*.CFFEX", "*605.*",
]  # fmt: skip

some_entries = st.lists(
    st.tuples(st.sampled_from(TEXTS), st.booleans()).map(lambda t: parse_entry(t[0], options=t[1])),
    max_size=8,
)
days = st.dates(DAY - timedelta(days=400), DAY + timedelta(days=300))


@given(some_entries, days, st.randoms())
def test_the_order_of_the_entries_does_not_matter(
    chosen: list[Entry], day: date, rnd: random.Random
) -> None:
    shuffled = list(chosen)
    rnd.shuffle(shuffled)
    one, other = resolve(chosen, CATALOG, day), resolve(shuffled, CATALOG, day)
    assert (one.contracts, one.products, one.aliases) == (
        other.contracts,
        other.products,
        other.aliases,
    )
    assert set(one.unmatched) == set(other.unmatched)
    assert set(one.not_listed) == set(other.not_listed)


@given(some_entries, days)
def test_everything_taken_is_live_and_only_exact_entries_take_spreads(
    chosen: list[Entry], day: date
) -> None:
    resolved = resolve(chosen, CATALOG, day)
    assert list(resolved.contracts) == sorted(resolved.contracts)
    texts = {entry.text for entry in chosen}
    for vt, brought_by in resolved.contracts.items():
        found = CATALOG.get(vt)
        assert found is not None and is_live(found, day)
        assert brought_by and set(brought_by) <= texts and list(brought_by) == sorted(brought_by)
        if found.kind not in ("future", "option"):
            assert brought_by == (vt,)
        if found.kind == "option":
            assert any(e.options or e.kind == "contract" for e in chosen if e.text in brought_by)


@given(some_entries, some_entries, days)
def test_more_entries_never_take_a_contract_away(
    first: list[Entry], more: list[Entry], day: date
) -> None:
    fewer = resolve(first, CATALOG, day).contracts
    union = resolve(first + more, CATALOG, day).contracts
    assert set(fewer) <= set(union)
    for vt, brought_by in fewer.items():
        assert set(brought_by) <= set(union[vt])


def test_the_whole_market_resolves() -> None:
    # How long it takes is measured by `make bench` (docs/benchmarks.md), not here.
    catalog = Catalog(whole_market())
    texts = [
        "SHFE", "DCE", "rb.SHFE", "au.SHFE", "SR.CZCE", "rb888.SHFE", "*.GFEX", "IF*.*",
        "m26*.DCE", "*.*", "sc.INE", "cu2605.SHFE",
    ]  # fmt: skip
    chosen = [parse_entry(text, options=True) for text in texts]
    resolved = resolve(chosen, catalog, TODAY)
    assert len(resolved.contracts) > 30_000
