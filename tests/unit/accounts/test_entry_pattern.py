"""The OpenAPI pattern of a universe entry (rules.ENTRY_PATTERN) says exactly what
the api accepts: the canonical spelling of every entry tickhub_universe parses."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tickhub_accounts.rules import ENTRY_MAX, ENTRY_PATTERN, EntryText
from tickhub_universe.entries import EntryError, parse_entry

PATTERN = re.compile(ENTRY_PATTERN)
entry_text = TypeAdapter(EntryText)


def _canonical(text: str) -> bool:
    try:
        return parse_entry(text).text == text and len(text) <= ENTRY_MAX
    except EntryError:
        return False


@settings(max_examples=500)
@given(st.from_regex(PATTERN, fullmatch=True).filter(lambda t: len(t) <= ENTRY_MAX))
def test_every_text_of_the_pattern_parses_as_itself(text: str) -> None:
    assert parse_entry(text).text == text
    assert entry_text.validate_python(text) == text


_PIECES = st.sampled_from(
    [
        "rb",
        "SR",
        "IF",
        "a",
        "8",
        "88",
        "888",
        "2605",
        "605",
        "0",
        "9",
        "-",
        "_",
        "*",
        "?",
        "[0-5]",
        "[",
        "]",
        "C",
        "x",
    ]
)
_EXCHANGES = st.sampled_from(
    ["SHFE", "CZCE", "DCE", "INE", "GFEX", "CFFEX", "*", "shfe", "LME", ""]
)


@settings(max_examples=2000)
@given(st.lists(_PIECES, min_size=0, max_size=5).map("".join), st.booleans(), _EXCHANGES)
@example("rb", True, "*")
@example("rb888", True, "*")
@example("888", True, "*")
@example("rb8888", True, "*")
@example("rb2605", True, "*")
@example("", False, "SHFE")
def test_every_canonical_entry_matches_the_pattern(symbol: str, dot: bool, exchange: str) -> None:
    text = f"{symbol}.{exchange}" if dot else symbol + exchange
    assert _canonical(text) == (PATTERN.fullmatch(text) is not None and len(text) <= ENTRY_MAX), (
        text
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("rb.LME", "unknown exchange"),
        ("rb.shfe", "as 'rb.SHFE'"),
        (" rb.SHFE", "as 'rb.SHFE'"),
        ("rb.*", "would match only a symbol named rb"),
        ("", "at least 1 character"),
        ("a" * 60 + ".SHFE", "at most 64 characters"),
    ],
)
def test_a_bad_entry_is_refused_in_words(text: str, says: str) -> None:
    with pytest.raises(ValidationError) as error:
        entry_text.validate_python(text)
    assert says in str(error.value)
