"""The main contracts' KV side, its pure parts: what is taken from the buckets at a
start, and the log line of a decision."""

from __future__ import annotations

import datetime as dt

import pytest

from tickhub_contracts import codec
from tickhub_contracts.messages import DayClose, MainContract, ProductCloses
from tickhub_publisher.mains import Outcome
from tickhub_publisher.mainstore import describe, key_of_alias, read_closes, read_mains

DAY = dt.date(2026, 11, 26)
AT = dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC)


def main(alias: str, vt_symbol: str, previous: str = "", reason: str = "why") -> MainContract:
    return MainContract(
        alias=alias,
        vt_symbol=vt_symbol,
        trading_day=DAY,
        decided_at=AT,
        previous=previous,
        reason=reason,
    )


def book(exchange: str, product: str) -> ProductCloses:
    return ProductCloses(
        exchange=exchange,
        product=product,
        trading_day=DAY,
        closes={f"{product}2605.{exchange}": DayClose(volume=1, open_interest=2)},
    )


def test_the_key_of_an_alias_is_its_product_key() -> None:
    assert key_of_alias("rb888.SHFE") == "SHFE.rb"
    assert key_of_alias("SR888.CZCE") == "CZCE.SR"


def test_a_shard_takes_the_entries_of_its_exchanges_only() -> None:
    found = {
        "SHFE.rb": codec.encode(main("rb888.SHFE", "rb2605.SHFE")),
        "DCE.m": codec.encode(main("m888.DCE", "m2605.DCE")),
    }
    assert set(read_mains(found, frozenset({"SHFE"}))) == {"SHFE.rb"}
    assert set(read_mains(found, frozenset())) == {"SHFE.rb", "DCE.m"}
    closes = {"SHFE.rb": codec.encode(book("SHFE", "rb")), "DCE.m": codec.encode(book("DCE", "m"))}
    assert read_closes(closes, frozenset({"DCE"})) == {"DCE.m": book("DCE", "m")}


def test_entries_that_cannot_be_read_or_sit_under_another_key_are_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    found = {
        "SHFE.rb": b"not json",
        "SHFE.hc": codec.encode(main("rb888.SHFE", "rb2605.SHFE")),  # another product's
        "SHFE.au": codec.encode(main("au888.SHFE", "au2606.SHFE")),
    }
    assert set(read_mains(found, frozenset())) == {"SHFE.au"}
    closes = {"SHFE.hc": codec.encode(book("SHFE", "rb")), "SHFE.cu": b"{}"}
    assert read_closes(closes, frozenset()) == {}
    assert sum("ignored" in r.getMessage() for r in caplog.records) == 4


def test_a_decision_is_one_line_with_the_product_old_new_and_reason() -> None:
    changed = main("rb888.SHFE", "rb2610.SHFE", "rb2605.SHFE", "rb2610 leads")
    assert describe(Outcome(changed, decided=True, changed=True)) == (
        "main contract SHFE.rb: rb2605.SHFE -> rb2610.SHFE for 2026-11-26 (rb2610 leads)"
    )
    first = main("rb888.SHFE", "rb2605.SHFE", "", "first decision: ...")
    assert describe(Outcome(first, decided=True, changed=True)) == (
        "main contract SHFE.rb: none -> rb2605.SHFE for 2026-11-26 (first decision: ...)"
    )
    kept = main("rb888.SHFE", "rb2605.SHFE", "rb2605.SHFE", "stays")
    assert describe(Outcome(kept, decided=True, changed=False)) == (
        "main contract SHFE.rb: rb2605.SHFE kept for 2026-11-26 (stays)"
    )
    assert "as decided before the start" in describe(Outcome(kept, decided=False, changed=False))
