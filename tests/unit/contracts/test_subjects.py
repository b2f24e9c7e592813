import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts import subjects, zeromq


def test_tick_subject_keeps_source_exchange_and_symbol_as_tokens() -> None:
    subject = subjects.tick("sim-a", "SHFE", "rb2605")
    assert subject == "tickhub.tick.sim-a.SHFE.rb2605"
    assert subjects.tick_source(subject) == "sim-a"


def test_a_tick_subject_parses_into_source_and_contract() -> None:
    parsed = subjects.parse_tick("tickhub.tick.sim-a.SHFE.rb2605")
    assert parsed is not None
    assert (parsed.source, parsed.exchange, parsed.symbol) == ("sim-a", "SHFE", "rb2605")
    assert parsed.vt_symbol == "rb2605.SHFE"
    assert zeromq.topic(parsed.vt_symbol) == b"rb2605.SHFE"
    assert subjects.tick(*parsed) == "tickhub.tick.sim-a.SHFE.rb2605"


def test_anything_else_under_tick_is_foreign() -> None:
    for subject in (
        "tickhub.tick.sim-a",
        "tickhub.tick.sim-a.SHFE",
        "tickhub.tick.sim-a.SHFE.rb2605.extra",
        "tickhub.status.sim-a.SHFE.rb2605",
        "other.tick.sim-a.SHFE.rb2605",
    ):
        assert subjects.parse_tick(subject) is None, subject


def test_split_vt_symbol() -> None:
    assert subjects.split_vt_symbol("rb2605.SHFE") == ("rb2605", "SHFE")
    assert subjects.split_vt_symbol("m2605-C-3000.DCE") == ("m2605-C-3000", "DCE")


@pytest.mark.parametrize("bad", ["rb2605", "rb 2605.SHFE", "rb*.SHFE", "rb2605.", ".SHFE", "a>.b"])
def test_malformed_vt_symbols_are_refused(bad: str) -> None:
    with pytest.raises(subjects.InvalidToken):
        subjects.split_vt_symbol(bad)


@given(st.text(min_size=1, max_size=80))
def test_a_valid_token_never_splits_or_widens_a_subject(value: str) -> None:
    try:
        subjects.token(value)
    except subjects.InvalidToken:
        return
    assert not set(value) & set(". *>\t\r\n")
    assert len(subjects.tick(value, "SHFE", "rb2605").split(".")) == 5
