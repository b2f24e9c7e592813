"""The main contract behind an alias: the leader by open interest, rolled forward only."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tickhub_contracts.messages import DayClose
from tickhub_universe.entries import month_of
from tickhub_universe.main_contract import ROLL_RATIO, Decision, decide

TODAY = date(2026, 3, 2)


def close(open_interest: float, volume: float = 100_000) -> DayClose:
    return DayClose(volume=volume, open_interest=open_interest)


def test_nothing_to_decide_from() -> None:
    assert decide(None, {}, today=TODAY) is None
    assert decide("rb2605.SHFE", {}, today=TODAY) is None
    assert decide(None, {"rb888.SHFE": close(1)}, today=TODAY) is None


def test_the_first_decision_takes_the_leader() -> None:
    closes = {"rb2605.SHFE": close(2_000_000), "rb2610.SHFE": close(1_234_567)}
    decision = decide(None, closes, today=TODAY)
    assert decision == Decision(
        "rb2605.SHFE",
        True,
        "first decision: rb2605.SHFE (open interest 2,000,000, volume 100,000) leads",
    )


def test_ties_go_to_the_volume_then_to_the_nearer_month() -> None:
    closes = {"rb2610.SHFE": close(1_000, 20), "rb2605.SHFE": close(1_000, 10)}
    assert decide(None, closes, today=TODAY) == Decision("rb2610.SHFE", True, ANY_REASON)
    closes = {"rb2610.SHFE": close(1_000, 10), "rb2605.SHFE": close(1_000, 10)}
    assert decide(None, closes, today=TODAY) == Decision("rb2605.SHFE", True, ANY_REASON)


class _Any(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)

    __hash__ = str.__hash__


ANY_REASON = _Any()


def test_the_leader_stays() -> None:
    closes = {"rb2605.SHFE": close(2_000_000), "rb2610.SHFE": close(1_000_000)}
    assert decide("rb2605.SHFE", closes, today=TODAY) == Decision(
        "rb2605.SHFE", False, "rb2605.SHFE (open interest 2,000,000, volume 100,000) leads"
    )


def test_a_later_month_takes_over_past_the_ratio_with_more_volume() -> None:
    closes = {
        "rb2605.SHFE": close(1_000_000, 300_000),
        "rb2610.SHFE": close(1_234_567, 400_000),
    }
    assert decide("rb2605.SHFE", closes, today=TODAY) == Decision(
        "rb2610.SHFE",
        True,
        "rb2610.SHFE: open interest 1,234,567 > 1.1 × rb2605.SHFE's 1,000,000 and volume "
        "400,000 > 300,000",
    )


def test_not_past_the_ratio_or_not_more_volume_it_stays() -> None:
    closes = {"rb2605.SHFE": close(1_000_000, 300_000), "rb2610.SHFE": close(1_100_000, 400_000)}
    decision = decide("rb2605.SHFE", closes, today=TODAY)
    assert decision is not None and (decision.vt_symbol, decision.changed) == ("rb2605.SHFE", False)
    assert decision.reason == (
        "rb2605.SHFE stays, rb2610.SHFE: open interest 1,100,000 <= 1.1 × rb2605.SHFE's "
        "1,000,000 and volume 400,000 > 300,000"
    )
    closes = {"rb2605.SHFE": close(1_000_000, 300_000), "rb2610.SHFE": close(2_000_000, 300_000)}
    decision = decide("rb2605.SHFE", closes, today=TODAY)
    assert decision is not None and not decision.changed
    assert "volume 300,000 <= 300,000" in decision.reason


def test_never_back_to_an_earlier_month() -> None:
    closes = {"rb2605.SHFE": close(5_000_000, 900_000), "rb2610.SHFE": close(1_000_000)}
    decision = decide("rb2610.SHFE", closes, today=TODAY)
    assert decision is not None and (decision.vt_symbol, decision.changed) == ("rb2610.SHFE", False)
    assert "is not a later month" in decision.reason


def test_a_current_contract_without_a_close_gives_way_to_a_later_month() -> None:
    closes = {
        "rb2601.SHFE": close(9_000_000),
        "rb2610.SHFE": close(1_000_000),
        "rb2609.SHFE": close(2_000_000),
    }
    decision = decide("rb2605.SHFE", closes, today=TODAY)
    assert decision == Decision(
        "rb2609.SHFE",
        True,
        "rb2605.SHFE has no close (expired or no longer carried): rb2609.SHFE (open "
        "interest 2,000,000, volume 100,000) leads the later months",
    )
    decision = decide("rb2612.SHFE", closes, today=TODAY)
    assert decision is not None and decision.vt_symbol == "rb2601.SHFE"
    assert "no later month has one" in decision.reason


def test_czce_months_are_placed_in_their_decade() -> None:
    closes = {"SR512.CZCE": close(1_000_000, 10), "SR601.CZCE": close(1_200_000, 20)}
    decision = decide("SR512.CZCE", closes, today=date(2025, 12, 1))
    assert decision is not None and decision.vt_symbol == "SR601.CZCE"


# --- properties --------------------------------------------------------------------------

MONTHS = [f"rb{y}{m:02d}.SHFE" for y in (26, 27) for m in range(1, 13)]
amounts = st.floats(0, 5_000_000, allow_nan=False)
close_maps = st.dictionaries(
    st.sampled_from(MONTHS), st.builds(DayClose, volume=amounts, open_interest=amounts), min_size=1
)
currents = st.none() | st.sampled_from(MONTHS)


def month(vt: str) -> int:
    found = month_of(vt.split(".")[0], TODAY)
    assert found is not None
    return found


@given(currents, close_maps)
def test_never_an_earlier_month_than_the_current_while_one_is_there(current, closes):
    decision = decide(current, closes, today=TODAY)
    assert decision is not None
    assert decision.changed == (decision.vt_symbol != current)
    assert decision.vt_symbol in closes
    if current is not None and (
        current in closes or any(month(vt) > month(current) for vt in closes)
    ):
        assert month(decision.vt_symbol) >= month(current)


@given(currents, close_maps)
def test_deciding_again_keeps_the_decision(current, closes):
    decision = decide(current, closes, today=TODAY)
    assert decision is not None
    again = decide(decision.vt_symbol, closes, today=TODAY)
    assert again is not None and (again.vt_symbol, again.changed) == (decision.vt_symbol, False)


@given(st.sampled_from(MONTHS), close_maps, st.floats(0.5, ROLL_RATIO))
def test_noise_below_the_ratio_moves_nothing(current, closes, ratio):
    ours = closes.get(current, DayClose(volume=1_000, open_interest=1_000_000))
    noisy = {
        vt: DayClose(
            volume=c.volume, open_interest=min(c.open_interest, ours.open_interest * ratio)
        )
        for vt, c in closes.items()
    }
    noisy[current] = ours
    decision = decide(current, noisy, today=TODAY)
    assert decision is not None and (decision.vt_symbol, decision.changed) == (current, False)


def simulate(seed: int, noise: float) -> list[str]:
    """A year of rb's closes: each month's open interest grows from its listing, peaks
    two months before its delivery and falls to nothing at its expiry; the main
    months (01, 05, 10) hold most of it. Returns the alias's contract day by day."""
    rnd = random.Random(seed)
    weights = {1: 1.0, 5: 1.0, 9: 0.6, 10: 1.0}
    current: str | None = None
    decided = []
    day = date(2026, 1, 5)
    while day.year == 2026:
        if day.weekday() < 5:
            closes = {}
            for year in (2026, 2027):
                for m in range(1, 13):
                    expiry, listed = date(year, m, 15), date(year - 1, m, 16)
                    if not listed <= day <= expiry:
                        continue
                    left = (expiry - day).days
                    shape = max(0.05, 1 - (left - 60) / 300) if left > 60 else max(0.01, left / 60)
                    interest = 1_000_000 * weights.get(m, 0.1) * shape
                    interest *= 1 + rnd.uniform(-noise, noise)
                    volume = interest * 0.8 * (1 + rnd.uniform(-noise, noise))
                    closes[f"rb{year % 100}{m:02d}.SHFE"] = DayClose(
                        volume=volume, open_interest=interest
                    )
            decision = decide(current, closes, today=day)
            assert decision is not None and decision.vt_symbol in closes
            current = decision.vt_symbol
            decided.append(current)
        day += timedelta(days=1)
    return decided


@given(st.integers(0, 2**32), st.floats(0, 0.3))
@settings(max_examples=30, deadline=None)
def test_a_year_rolls_forward_without_flip_flopping(seed, noise):
    decided = simulate(seed, noise)
    months = [month(vt) for vt in decided]
    assert months == sorted(months), "the alias went back"
    rolls = [vt for n, vt in enumerate(decided) if n == 0 or vt != decided[n - 1]]
    assert len(rolls) == len(set(rolls))
    assert rolls[0] == "rb2605.SHFE" and len(rolls) >= 3


@given(st.integers(0, 2**32), st.floats(0, 0.05))
@settings(max_examples=20, deadline=None)
def test_with_little_noise_the_year_follows_the_main_months(seed, noise):
    decided = simulate(seed, noise)
    rolls = [vt for n, vt in enumerate(decided) if n == 0 or vt != decided[n - 1]]
    assert rolls == ["rb2605.SHFE", "rb2610.SHFE", "rb2701.SHFE", "rb2705.SHFE"]


@given(close_maps)
def test_the_first_decision_is_the_leader(closes):
    assume(any(c.open_interest for c in closes.values()))
    decision = decide(None, closes, today=TODAY)
    assert decision is not None
    top = max(c.open_interest for c in closes.values())
    assert closes[decision.vt_symbol].open_interest == top
