"""Universe entries: the forms a desk writes, what they parse to, what is refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_universe.entries import (
    ALIAS_MONTH,
    EXCHANGES,
    Entry,
    EntryError,
    alias_of,
    alias_product,
    month_of,
    parse_entry,
    product_of,
)

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("SHFE", Entry("SHFE", "exchange", "SHFE")),
        (" shfe ", Entry("SHFE", "exchange", "SHFE")),
        ("rb.SHFE", Entry("rb.SHFE", "product", "SHFE", product="rb")),
        ("SR.czce", Entry("SR.CZCE", "product", "CZCE", product="SR")),
        ("rb2605.SHFE", Entry("rb2605.SHFE", "contract", "SHFE", symbol="rb2605", product="rb")),
        ("SR605.CZCE", Entry("SR605.CZCE", "contract", "CZCE", symbol="SR605", product="SR")),
        (
            "m2605-C-3000.DCE",
            Entry("m2605-C-3000.DCE", "contract", "DCE", symbol="m2605-C-3000", product="m"),
        ),
        ("rb888.SHFE", Entry("rb888.SHFE", "alias", "SHFE", symbol="rb888", product="rb")),
        ("rb26*.SHFE", Entry("rb26*.SHFE", "pattern", "SHFE", pattern="rb26*")),
        ("*.GFEX", Entry("*.GFEX", "pattern", "GFEX", pattern="*")),
        ("IF*.*", Entry("IF*.*", "pattern", "*", pattern="IF*")),
        ("rb260[5-9].shfe", Entry("rb260[5-9].SHFE", "pattern", "SHFE", pattern="rb260[5-9]")),
        ("rb26?5.SHFE", Entry("rb26?5.SHFE", "pattern", "SHFE", pattern="rb26?5")),
        ("rb2605.*", Entry("rb2605.*", "pattern", "*", pattern="rb2605")),
    ],
)
def test_each_form_parses_to_its_kind_in_canonical_spelling(text: str, entry: Entry) -> None:
    assert parse_entry(text) == entry


def test_options_are_carried_on_the_entry() -> None:
    assert parse_entry("rb.SHFE", options=True).options
    assert not parse_entry("rb.SHFE").options


def test_symbols_keep_their_case_because_ctp_is_case_sensitive() -> None:
    assert parse_entry("RB2605.SHFE").symbol == "RB2605"
    assert parse_entry("sr.CZCE").product == "sr"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("NYMEX", "not an exchange"),
        ("rb2605.NYMEX", "unknown exchange 'NYMEX'"),
        ("rb.SH*", "one exchange or *"),
        ("rb*", "needs its exchange"),
        (".SHFE", "symbol before the dot is missing"),
        ("rb.2605.SHFE", "more than one dot"),
        ("rb 2605.SHFE", "letters, digits"),
        ("rb2605;.SHFE", "letters, digits"),
        ("2605.SHFE", "begins with its product's letters"),
        ("rb26[5.SHFE", "a pattern has"),
        ("rb26*;.SHFE", "a pattern has"),
        ("rb.*", "would match only a symbol named rb"),
        ("rb888.*", "would match only a symbol named rb888"),
        ("r" * 60 + "2605.SHFE", "longer than 64"),
    ],
)
def test_what_no_form_is_is_refused_in_one_sentence_with_the_forms(text: str, says: str) -> None:
    with pytest.raises(EntryError) as error:
        parse_entry(text)
    message = str(error.value)
    assert says in message
    assert "a product (rb.SHFE)" in message and "pattern" in message
    assert "\n" not in message


def test_an_entry_error_is_a_value_error() -> None:
    assert issubclass(EntryError, ValueError)


def test_alias_and_back() -> None:
    assert ALIAS_MONTH == "888"
    assert alias_of("SHFE", "rb") == "rb888.SHFE"
    assert alias_product("rb888.SHFE") == ("SHFE", "rb")
    assert alias_product("SR888.CZCE") == ("CZCE", "SR")
    for not_alias in ("rb2605.SHFE", "rb888.NYMEX", "rb888", "888.SHFE", "rb8888.SHFE"):
        assert alias_product(not_alias) is None


def test_product_is_the_leading_letters() -> None:
    assert product_of("rb2605") == "rb"
    assert product_of("SR605") == "SR"
    assert product_of("au2606C500") == "au"
    assert product_of("2605") == ""


@pytest.mark.parametrize(
    ("symbol", "month"),
    [
        ("rb2605", 202605),
        ("IF2612", 202612),
        ("au2606C500", 202606),
        ("m2605-C-3000", 202605),
        ("SR605", 202605),
        ("SR511", 202511),  # last year's: still within a catalog's reach
        ("SR911", 202911),
        ("SR412", 203412),  # 2024 is before last year: the next decade
        ("SR605C5000", 202605),
        ("rb888", None),
        ("rb2613", None),
        ("rb2600", None),
        ("rb", None),
        ("rb26051", None),
        ("rb26", None),
    ],
)
def test_month_of(symbol: str, month: int | None) -> None:
    assert month_of(symbol, TODAY) == month


products = st.from_regex(r"[A-Za-z]{1,3}", fullmatch=True)
exchanges = st.sampled_from(EXCHANGES)


@given(products, exchanges, st.integers(2000, 2099), st.integers(1, 12))
def test_four_digit_months_read_back_and_sort_like_time(
    product: str, exchange: str, year: int, month: int
) -> None:
    symbol = f"{product}{year % 100:02d}{month:02d}"
    assert month_of(symbol, TODAY) == year * 100 + month
    assert parse_entry(f"{symbol}.{exchange}").kind == "contract"


@given(st.dates(date(2001, 1, 1), date(2090, 12, 31)), st.integers(-1, 8), st.integers(1, 12))
def test_czce_months_land_from_last_year_on(today: date, ahead: int, month: int) -> None:
    year = today.year + ahead
    symbol = f"SR{year % 10}{month:02d}"
    assert month_of(symbol, today) == year * 100 + month


@given(products, exchanges, st.booleans())
def test_parsing_the_canonical_text_again_gives_the_same_entry(
    product: str, exchange: str, options: bool
) -> None:
    for text in (
        exchange,
        f"{product}.{exchange}",
        f"{product}2605.{exchange}",
        alias_of(exchange, product),
        f"{product}*.{exchange}",
        f"{product}*.*",
    ):
        entry = parse_entry(text.lower() if text == exchange else text, options=options)
        assert parse_entry(entry.text, options=options) == entry
        assert entry.options is options


@given(st.text(max_size=70))
def test_any_text_either_parses_or_raises_an_entry_error(text: str) -> None:
    try:
        entry = parse_entry(text)
    except EntryError:
        return
    assert entry.text == entry.text.strip() and len(entry.text) <= 64
    assert entry.exchange in EXCHANGES or (entry.exchange == "*" and entry.kind == "pattern")
