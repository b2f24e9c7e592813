"""The rings the recovery endpoint answers from: every tick still held comes back
exactly as it went out, in order, and nothing beyond the two bounds is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_publisher.recovery import rest_after
from tickhub_publisher.ring import Rings, TooOld

CONTRACTS = ("rb2605.SHFE", "au2606.SHFE", "m2605.DCE")


def payload(vt_symbol: str, seq: int) -> bytes:
    return f"{vt_symbol}#{seq}".encode()


@given(
    per_contract=st.integers(0, 20),
    total=st.integers(0, 40),
    ticks=st.lists(st.sampled_from(CONTRACTS), max_size=200),
    asked=st.sampled_from(CONTRACTS),
    after=st.integers(0, 80),
    limit=st.integers(1, 30),
)
def test_a_since_is_the_held_ticks_after_the_seq_or_too_old(
    per_contract: int, total: int, ticks: list[str], asked: str, after: int, limit: int
) -> None:
    rings = Rings(per_contract, total)
    seqs = dict.fromkeys(CONTRACTS, 0)
    for vt_symbol in ticks:
        seqs[vt_symbol] += 1
        rings.add(
            rings.of(vt_symbol), seqs[vt_symbol], bytearray(payload(vt_symbol, seqs[vt_symbol]))
        )
        # The two bounds hold after every tick.
        assert rings.stored() <= total
        assert all(len(ring.payloads) <= per_contract for ring in rings._rings.values())
    last = seqs[asked]
    try:
        found, whole = rings.since(asked, after, limit)
    except TooOld:
        held = rings.get(asked)
        assert held is not None and after < last
        assert after + 1 < held.first  # really no longer held
        return
    if after >= last:
        assert (found, whole) == ([], True)
        return
    wanted = list(range(after + 1, last + 1))
    assert [seq for seq, _ in found] == wanted[:limit]
    assert [p for _, p in found] == [payload(asked, s) for s in wanted[:limit]]
    assert whole == (len(wanted) <= limit)


@given(ticks=st.lists(st.sampled_from(CONTRACTS), min_size=1, max_size=300))
def test_the_hub_wide_bound_drops_the_oldest_ticks_of_any_contract_first(ticks: list[str]) -> None:
    total = 10
    rings = Rings(per_contract=6, total=total)
    seqs = dict.fromkeys(CONTRACTS, 0)
    added: list[tuple[str, int]] = []
    for vt_symbol in ticks:
        seqs[vt_symbol] += 1
        rings.add(rings.of(vt_symbol), seqs[vt_symbol], payload(vt_symbol, seqs[vt_symbol]))
        added.append((vt_symbol, seqs[vt_symbol]))
    # What is held: of the newest `total` ticks, each contract's newest 6.
    newest = added[-total:]
    expected: dict[str, list[int]] = {c: [] for c in CONTRACTS}
    for vt_symbol, seq in newest:
        expected[vt_symbol].append(seq)
    for vt_symbol in CONTRACTS:
        ring = rings.get(vt_symbol)
        held = [] if ring is None else list(range(ring.first, ring.seq + 1))
        assert held == expected[vt_symbol][-6:]


def test_a_seq_that_does_not_follow_starts_the_ring_again() -> None:
    rings = Rings(per_contract=10, total=100)
    ring = rings.of("rb2605.SHFE")
    for seq in (1, 2, 3):
        rings.add(ring, seq, payload("rb2605.SHFE", seq))
    rings.add(ring, 7, payload("rb2605.SHFE", 7))  # never happens; no hole if it did
    assert rings.since("rb2605.SHFE", 6, 10) == ([(7, payload("rb2605.SHFE", 7))], True)
    with pytest.raises(TooOld):
        rings.since("rb2605.SHFE", 2, 10)


def test_no_ring_answers_only_a_client_that_is_up_to_date() -> None:
    rings = Rings(per_contract=0, total=0)
    ring = rings.of("rb2605.SHFE")
    for seq in (1, 2):
        rings.add(ring, seq, payload("rb2605.SHFE", seq))
    assert rings.since("rb2605.SHFE", 2, 10) == ([], True)
    with pytest.raises(TooOld):
        rings.since("rb2605.SHFE", 1, 10)
    assert rings.since("unknown.SHFE", 0, 10) == ([], True)


@given(cost=st.floats(0, 1), share=st.floats(0.01, 1))
def test_resting_after_each_reply_keeps_the_recovery_endpoint_to_its_share(
    cost: float, share: float
) -> None:
    rest = rest_after(cost, share)
    assert rest >= 0
    assert cost <= share * (cost + rest) + 1e-9
