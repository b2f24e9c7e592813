import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tickhub_contracts import subjects


def test_a_ticks_subject_keeps_source_and_exchange_as_tokens() -> None:
    subject = subjects.ticks("sim-a", "SHFE")
    assert subject == "tickhub.ticks.sim-a.SHFE"
    parsed = subjects.parse_ticks(subject)
    assert parsed is not None
    assert (parsed.source, parsed.exchange) == ("sim-a", "SHFE")
    assert subjects.ticks(*parsed) == subject


def test_a_publisher_shard_subscribes_every_source_of_its_exchange() -> None:
    assert subjects.ticks_of_exchange("SHFE") == "tickhub.ticks.*.SHFE"


def test_anything_else_under_ticks_is_foreign() -> None:
    for subject in (
        "tickhub.ticks.sim-a",
        "tickhub.ticks.sim-a.SHFE.rb2605",
        "tickhub.tick.sim-a.SHFE",
        "tickhub.status.sim-a.SHFE",
        "other.ticks.sim-a.SHFE",
    ):
        assert subjects.parse_ticks(subject) is None, subject


def test_a_canary_subject_names_its_source() -> None:
    subject = subjects.canary("sim-a")
    assert subject == "tickhub.canary.sim-a"
    assert subjects.canary_source(subject) == "sim-a"


def test_split_vt_symbol() -> None:
    assert subjects.split_vt_symbol("rb2605.SHFE") == ("rb2605", "SHFE")
    assert subjects.split_vt_symbol("m2605-C-3000.DCE") == ("m2605-C-3000", "DCE")


@pytest.mark.parametrize("bad", ["rb2605", "rb 2605.SHFE", "rb*.SHFE", "rb2605.", ".SHFE", "a>.b"])
def test_malformed_vt_symbols_are_refused(bad: str) -> None:
    with pytest.raises(subjects.InvalidToken):
        subjects.split_vt_symbol(bad)


@given(st.text(min_size=1, max_size=80))
@example("0\n")  # found by this test once: re.match with $ let a trailing newline through
def test_a_valid_token_never_splits_or_widens_a_subject(value: str) -> None:
    try:
        subjects.token(value)
    except subjects.InvalidToken:
        return
    assert not set(value) & set(". *>\t\r\n")
    assert len(subjects.ticks(value, "SHFE").split(".")) == 4
    assert len(subjects.ticks("sim-a", value).split(".")) == 4
