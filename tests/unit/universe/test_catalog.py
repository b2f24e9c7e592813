"""The catalog: its indexes, its search, and the operator's catalog file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.messages import Instrument
from tickhub_universe.catalog import (
    CATALOG_COLUMNS,
    Catalog,
    CatalogFileError,
    parse_catalog_csv,
    read_catalog_file,
    write_catalog_csv,
)
from tickhub_universe.entries import EXCHANGES

from .market import instrument, option, whole_market

RB05 = instrument("rb2605.SHFE", name="螺纹钢2605")
RB10 = instrument("rb2610.SHFE", name="螺纹钢2610")
AU06 = instrument("au2606.SHFE", name="黄金2606")
AU_CALL = option("au2606.SHFE", "call", 500)
AU_PUT = option("au2606.SHFE", "put", 500)
SR = instrument("SR605.CZCE", name="白糖605")
SPREAD = instrument("SP rb2605&rb2610.SHFE", "spread")


def small() -> Catalog:
    return Catalog([RB10, AU_PUT, SR, RB05, AU06, AU_CALL, SPREAD])


def test_lookups_and_order() -> None:
    catalog = small()
    assert len(catalog) == 7
    assert [i.vt_symbol for i in catalog] == sorted(i.vt_symbol for i in catalog)
    assert catalog.get("rb2605.SHFE") == RB05 and catalog.get("rb2701.SHFE") is None
    assert "SR605.CZCE" in catalog and "SR605.SHFE" not in catalog
    assert catalog.futures_of("SHFE", "rb") == [RB05, RB10]
    assert catalog.futures_of("CZCE", "rb") == []
    assert catalog.options_of_product("SHFE", "au") == [AU_CALL, AU_PUT]
    assert catalog.options_of_product("SHFE", "rb") == []
    assert catalog.of_exchange("CZCE") == [SR]
    assert len(catalog.of_exchange("SHFE")) == 6
    assert list(catalog.futures()) == [SR, AU06, RB05, RB10]  # str order: upper case first
    assert list(catalog.options("SHFE")) == [AU_CALL, AU_PUT]
    assert list(catalog.options("DCE")) == []


def test_a_later_instrument_replaces_an_earlier_one_of_the_same_vt_symbol() -> None:
    newer = instrument("rb2605.SHFE", name="newer")
    assert Catalog([RB05, newer]).get("rb2605.SHFE") == newer


def test_product_keys() -> None:
    catalog = small()
    assert catalog.product_key("rb2605.SHFE") == "rb.SHFE"
    assert catalog.product_key("SR605.CZCE") == "SR.CZCE"
    # An option's product is its underlying's, not CTP's au_o.
    assert AU_CALL.product == "au_o"
    assert catalog.product_key(AU_CALL.vt_symbol) == "au.SHFE"
    # Unknown to the catalog: the symbol's letters, as a hub without a catalog works.
    assert catalog.product_key("ni2605.SHFE") == "ni.SHFE"
    assert Catalog([]).product_key("SR609.CZCE") == "SR.CZCE"


def test_an_option_without_an_underlying_goes_by_its_own_letters() -> None:
    orphan = instrument("m2605-C-3000.DCE", "option", product="m_o")
    catalog = Catalog([orphan])
    assert catalog.product_key(orphan.vt_symbol) == "m.DCE"
    assert catalog.options_of_product("DCE", "m") == [orphan]


def test_an_option_whose_underlying_is_unlisted_goes_by_the_underlying_symbol() -> None:
    catalog = Catalog([AU_CALL])
    assert catalog.product_key(AU_CALL.vt_symbol) == "au.SHFE"


def test_search_puts_exact_matches_first_then_prefixes_then_the_rest() -> None:
    catalog = small()
    assert catalog.search("rb2605.shfe")[0] == RB05
    assert catalog.search("RB26") == [RB05, RB10, SPREAD]
    # A symbol or a name exactly: first, whatever else contains it.
    assert catalog.search("au2606")[0] == AU06
    assert catalog.search("白糖605") == [SR]
    assert catalog.search("螺纹钢") == [RB05, RB10]
    # "2605" begins no vt_symbol: futures before the spread.
    assert catalog.search("2605") == [RB05, SPREAD]
    assert catalog.search("2605", limit=1) == [RB05]
    assert catalog.search("nothing") == []
    assert catalog.search("rb", limit=0) == []
    assert len(catalog.search("")) == 7


def test_the_whole_market_builds_and_searches() -> None:
    # How long it takes is measured by `make bench` (docs/benchmarks.md), not here.
    market = whole_market()
    assert len(market) > 39_000
    catalog = Catalog(market)
    assert len(catalog) == len(market)
    assert all("rb26" in i.vt_symbol for i in catalog.search("rb26"))


# --- the file ---------------------------------------------------------------------------

FILE = """\
vt_symbol,name,expiry,listed,tick_size,multiplier
rb2605.SHFE,螺纹钢2605,2026-05-15,20250516,1,10

SR605.CZCE , 白糖605 ,20260514,,1,10
"""


def test_a_file_with_some_columns_in_any_order() -> None:
    rb, sr = parse_catalog_csv(FILE)
    assert rb == Instrument(
        vt_symbol="rb2605.SHFE",
        symbol="rb2605",
        exchange="SHFE",
        product="rb",
        name="螺纹钢2605",
        expiry=date(2026, 5, 15),
        listed=date(2025, 5, 16),
        tick_size=1.0,
        multiplier=10.0,
    )
    assert (sr.vt_symbol, sr.product, sr.name, sr.listed) == ("SR605.CZCE", "SR", "白糖605", None)
    assert sr.kind == "future" and sr.option_type == "" and sr.strike is None


def test_options_in_a_file() -> None:
    text = (
        "kind,vt_symbol,underlying,option_type,strike,product\n"
        "option,au2606C500.SHFE,au2606,C,500,au_o\n"
        "OPTION,au2606P500.shfe,au2606.SHFE,put,500.5,\n"
    )
    call, put = parse_catalog_csv(text)
    assert (call.underlying, call.option_type, call.strike, call.product) == (
        "au2606.SHFE",
        "call",
        500.0,
        "au_o",
    )
    assert (put.vt_symbol, put.underlying, put.option_type, put.strike) == (
        "au2606P500.SHFE",
        "au2606.SHFE",
        "put",
        500.5,
    )
    assert put.product == "au"


def test_a_byte_order_mark_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes("\ufeffvt_symbol,name\r\nrb2605.SHFE,螺纹钢\r\n".encode())
    [rb] = read_catalog_file(path)
    assert (rb.vt_symbol, rb.name) == ("rb2605.SHFE", "螺纹钢")


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("", None, "needs a header"),
        ("\n\n", None, "needs a header"),
        ("vt_symbol,colour\n", 1, "unknown column 'colour'"),
        ("vt_symbol,name,NAME\n", 1, "column name twice"),
        ("name,expiry\nx,\n", 1, "no vt_symbol column"),
        ("vt_symbol,name\nrb2605.SHFE\n", 2, "1 fields where the header has 2"),
        ("vt_symbol\nrb2605.SHFE\n\nrb2605.SHFE\n", 4, "rb2605.SHFE again (first on line 2)"),
        ("vt_symbol\nrb2605\n", 2, "not SYMBOL.EXCHANGE"),
        ("vt_symbol\nrb 2605.SHFE\n", 2, "not SYMBOL.EXCHANGE"),
        ("vt_symbol\nrb2605.NYMEX\n", 2, "unknown exchange 'NYMEX'"),
        ("vt_symbol,kind\nrb2605.SHFE,fx\n", 2, "kind 'fx' is none of"),
        ("vt_symbol,expiry\nrb2605.SHFE,15/05/2026\n", 2, "expiry '15/05/2026' is not a date"),
        ("vt_symbol,listed\nrb2605.SHFE,2026-02-30\n", 2, "listed '2026-02-30' is not a date"),
        ("vt_symbol,expiry\nrb2605.SHFE,2026-0515\n", 2, "not a date"),
        ("vt_symbol,tick_size\nrb2605.SHFE,-1\n", 2, "tick_size '-1' is not a number of at"),
        ("vt_symbol,multiplier\nrb2605.SHFE,ten\n", 2, "multiplier 'ten' is not a number"),
        ("vt_symbol,strike\nrb2605.SHFE,nan\n", 2, "strike 'nan' is not a number"),
        ("vt_symbol,option_type\nau2606C5.SHFE,straddle\n", 2, "option_type 'straddle'"),
        ("vt_symbol,underlying\nau2606C5.SHFE,au2606.COMEX\n", 2, "underlying 'au2606.COMEX'"),
        ("vt_symbol,product\nrb2605.SHFE,r-b\n", 2, "product 'r-b'"),
        ('vt_symbol,name\nrb2605.SHFE,"open\n', 2, "not CSV"),
        ('vt_symbol,name\nrb2605.SHFE,a\nrb2610.SHFE,"open\nrb2701.SHFE,b\n', 3, "not CSV"),
    ],
)
def test_a_wrong_file_says_where(text: str, line: int | None, says: str) -> None:
    with pytest.raises(CatalogFileError) as error:
        parse_catalog_csv(text, where="catalog.csv")
    assert error.value.line == line
    at = "catalog.csv" if line is None else f"catalog.csv, line {line}"
    assert str(error.value).startswith(f"{at}: ")
    assert says in str(error.value)


def test_a_file_that_is_not_utf8_says_which_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("vt_symbol,name\nrb2605.SHFE,螺纹钢\n".encode("gbk"))
    with pytest.raises(CatalogFileError, match=r"gbk\.csv, line 2: not UTF-8"):
        read_catalog_file(path)


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_catalog_file(tmp_path / "none.csv")


def test_the_written_header_has_every_column() -> None:
    assert write_catalog_csv([]) == ",".join(CATALOG_COLUMNS) + "\n"


symbols = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)
names = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20).map(
    str.strip
)
dates = st.none() | st.dates()
amounts = st.floats(min_value=0, allow_nan=False, allow_infinity=False)


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    symbol = draw(symbols)
    exchange = draw(st.sampled_from(EXCHANGES))
    underlying = draw(st.just("") | symbols.map(lambda s: f"{s}.{exchange}"))
    return Instrument(
        vt_symbol=f"{symbol}.{exchange}",
        symbol=symbol,
        exchange=exchange,
        product=draw(st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True)),
        kind=draw(st.sampled_from(["future", "option", "spread", "other"])),
        name=draw(names),
        expiry=draw(dates),
        listed=draw(dates),
        tick_size=draw(amounts),
        multiplier=draw(amounts),
        underlying=underlying,
        option_type=draw(st.sampled_from(["call", "put", ""])),
        strike=draw(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
    )


@given(st.lists(instruments(), unique_by=lambda i: i.vt_symbol, max_size=8))
def test_the_file_round_trips(written: list[Instrument]) -> None:
    text = write_catalog_csv(written)
    assert parse_catalog_csv(text) == written
    assert write_catalog_csv(parse_catalog_csv(text)) == text
