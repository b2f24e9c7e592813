"""Allocating contracts over the carriers: the rules, and the invariants they keep."""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_universe.allocate import Allocation, Carrier, allocate

RB = {"rb2605.SHFE": "rb.SHFE", "rb2610.SHFE": "rb.SHFE"}
SR = {"SR605.CZCE": "SR.CZCE", "SR609.CZCE": "SR.CZCE"}
CF = {"CF605.CZCE": "CF.CZCE"}
M = {"m2605.DCE": "m.DCE"}
ALL = RB | SR | CF | M


def carrier(
    name: str,
    priority: int = 1,
    capacity: int = 100,
    *,
    excluded: frozenset[str] = frozenset(),
    pinned: tuple[str, ...] | None = None,
    canary: str = "",
) -> Carrier:
    return Carrier(name, priority, capacity, excluded, pinned, canary)


def test_every_contract_gets_two_sources_preferred_first() -> None:
    got = allocate(RB, [carrier("b", 2), carrier("a", 1), carrier("c", 3)])
    assert got.carried == {"a": tuple(RB), "b": tuple(RB), "c": ()}
    assert got.sources == {vt: ("a", "b") for vt in RB}
    assert (got.uncovered, got.single) == ((), ())
    assert got.moved == 4  # no previous: every pair is new


def test_ties_in_priority_go_by_name() -> None:
    got = allocate(M, [carrier("z"), carrier("y"), carrier("x")], copies=1)
    assert got.sources == {"m2605.DCE": ("x",)}


def test_capacity_is_never_exceeded_and_fills_in_vt_order() -> None:
    got = allocate(ALL, [carrier("a", 1, capacity=2), carrier("b", 2, capacity=3)], copies=1)
    assert got.carried == {
        "a": ("CF605.CZCE", "SR605.CZCE"),
        "b": ("SR609.CZCE", "m2605.DCE", "rb2605.SHFE"),
    }
    assert got.uncovered == ("rb2610.SHFE",)


def test_exclusions_by_exchange_and_by_product() -> None:
    carriers = [
        carrier("a", 1, excluded=frozenset({"CZCE"})),
        carrier("b", 2, excluded=frozenset({"SR.CZCE"})),
        carrier("c", 3),
    ]
    got = allocate(ALL, carriers)
    assert got.sources["SR605.CZCE"] == ("c",)
    assert got.sources["CF605.CZCE"] == ("b", "c")
    assert got.sources["rb2605.SHFE"] == ("a", "b")
    assert got.single == ("SR605.CZCE", "SR609.CZCE")
    assert carriers[0].may_carry("rb2605.SHFE", "rb.SHFE")
    assert not carriers[0].may_carry("SR605.CZCE", "SR.CZCE")
    assert not carriers[1].may_carry("SR605.CZCE", "SR.CZCE")


def test_a_pinned_carrier_carries_its_list_only_and_counts_as_a_copy() -> None:
    pinned = carrier("p", 1, capacity=1, pinned=("rb2605.SHFE", "au2606.SHFE"))
    got = allocate(RB, [pinned, carrier("a", 2), carrier("b", 3)])
    assert got.carried["p"] == ("au2606.SHFE", "rb2605.SHFE")  # its list, as written
    assert got.sources["rb2605.SHFE"] == ("p", "a")
    assert got.sources["rb2610.SHFE"] == ("a", "b")
    assert got.sources["au2606.SHFE"] == ("p",)  # only the pinned list brings it
    assert got.single == ()  # au2606 is not the universe's


def test_the_canary_takes_a_slot_unless_it_is_carried() -> None:
    got = allocate(RB | M, [carrier("a", capacity=2, canary="IF2603.CFFEX")], copies=1)
    assert got.carried["a"] == ("m2605.DCE",)
    got = allocate(RB | M, [carrier("a", capacity=2, canary="rb2610.SHFE")], copies=1)
    assert got.carried["a"] == ("m2605.DCE", "rb2610.SHFE")
    # Even full, a carrier carries its own canary: it is subscribed anyway.
    got = allocate(RB | M, [carrier("a", capacity=1, canary="rb2610.SHFE")], copies=1)
    assert got.carried["a"] == ("rb2610.SHFE",)


def test_what_was_carried_stays_where_it_was() -> None:
    carriers = [carrier("a", 1), carrier("b", 2), carrier("c", 3)]
    previous = {"c": list(ALL), "b": ["rb2605.SHFE"], "gone": ["m2605.DCE"]}
    got = allocate(ALL, carriers, previous)
    assert got.carried["c"] == tuple(sorted(ALL))
    assert got.sources["rb2605.SHFE"] == ("b", "c")
    assert got.sources["rb2610.SHFE"] == ("a", "c")
    # moved: 5 pairs new on a, m2605 gone from "gone".
    assert got.moved == 6


def test_the_room_is_kept_for_contracts_still_to_come() -> None:
    # Preferred-first alone would give x to a and b, leaving y only c.
    got = allocate(
        {"x.SHFE": "x.SHFE", "y.SHFE": "y.SHFE"},
        [carrier("a", 1, capacity=1), carrier("b", 2, capacity=1), carrier("c", 3, capacity=2)],
    )
    assert got.uncovered == () and got.single == ()
    assert all(len(sources) == 2 for sources in got.sources.values())


def test_small_preferred_accounts_and_a_large_one_cover_everything() -> None:
    contracts = {f"rb{n:04d}.SHFE": "rb.SHFE" for n in range(500)}
    got = allocate(
        contracts,
        [carrier("a", 1, capacity=300), carrier("b", 2, capacity=300), carrier("c", 3, 1000)],
    )
    assert got.single == () and got.uncovered == ()
    # The preferred ones are used to the full; the large one takes the rest.
    assert (len(got.carried["a"]), len(got.carried["b"]), len(got.carried["c"])) == (300, 300, 400)


def test_uncovered_and_single() -> None:
    got = allocate(ALL, [carrier("a", excluded=frozenset({"CZCE"}))])
    assert got.uncovered == ("CF605.CZCE", "SR605.CZCE", "SR609.CZCE")
    assert got.single == ("m2605.DCE", "rb2605.SHFE", "rb2610.SHFE")
    assert got.sources["SR605.CZCE"] == ()
    assert allocate(ALL, [carrier("a")], copies=1).single == ()
    assert allocate(ALL, []).uncovered == tuple(sorted(ALL))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="copies"):
        allocate(ALL, [carrier("a")], copies=0)
    with pytest.raises(ValueError, match="same name"):
        allocate(ALL, [carrier("a"), carrier("a", 2)])


def test_a_whole_market_over_ten_carriers_is_fast() -> None:
    exchanges = ["SHFE", "DCE", "CZCE", "INE", "GFEX", "CFFEX"]
    contracts = {
        f"p{n % 300}x{n}.{exchanges[n % 6]}": f"p{n % 300}.{exchanges[n % 6]}"
        for n in range(40_000)
    }
    carriers = [
        carrier(
            f"account{n}",
            n % 3,
            capacity=9_000,
            excluded=frozenset({"CZCE"} if n % 4 == 0 else ()),
            canary="p1x1.DCE",
        )
        for n in range(10)
    ]
    # How long it takes is measured by `make bench` (docs/benchmarks.md), not here.
    first = allocate(contracts, carriers)
    again = allocate(contracts, carriers, first.carried)
    assert first.uncovered == () and first.single == () and again.moved == 0


# --- properties --------------------------------------------------------------------------

VTS = [
    *(f"rb26{m:02d}.SHFE" for m in range(1, 7)),
    *(f"SR6{m:02d}.CZCE" for m in range(1, 5)),
    "CF605.CZCE",
    "m2605.DCE",
    "m2609.DCE",
]
UNIVERSE = {
    vt: f"{vt.rstrip('0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZ')}.{vt.split('.')[1]}" for vt in VTS
}
EXCLUSIONS = ["CZCE", "SR.CZCE", "rb.SHFE", "DCE"]
NAMES = ["a", "b", "c", "d", "e"]


def product_key(vt: str) -> str:
    symbol, exchange = vt.split(".")
    return f"{symbol.rstrip('0123456789')}.{exchange}"


CONTRACTS = {vt: product_key(vt) for vt in VTS}


@st.composite
def carrier_lists(draw: st.DrawFn, *, plain: bool = False, max_capacity: int = 10) -> list[Carrier]:
    """Up to five carriers; ``plain``: no exclusions, pins or canaries."""
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5))
    found = []
    for name in names:
        pinned = None
        excluded: frozenset[str] = frozenset()
        canary = ""
        if not plain:
            excluded = frozenset(draw(st.lists(st.sampled_from(EXCLUSIONS), max_size=2)))
            if draw(st.integers(0, 5)) == 0:
                pinned = tuple(draw(st.lists(st.sampled_from([*VTS, "au2606.SHFE"]), max_size=3)))
            canary = draw(st.sampled_from(["", "", "IF2603.CFFEX", *VTS]))
        found.append(
            Carrier(
                name,
                draw(st.integers(1, 3)),
                draw(st.integers(0, max_capacity)),
                excluded,
                pinned,
                canary,
            )
        )
    return found


contract_maps = st.lists(st.sampled_from(VTS), unique=True).map(
    lambda vts: {vt: CONTRACTS[vt] for vt in sorted(vts)}
)
copies_counts = st.integers(1, 3)
previous_maps = st.dictionaries(
    st.sampled_from([*NAMES, "gone"]), st.lists(st.sampled_from([*VTS, "au2606.SHFE"]))
)


def check_invariants(
    got: Allocation, contracts: Mapping[str, str], carriers: list[Carrier], copies: int
) -> None:
    by_name = {c.name: c for c in carriers}
    assert set(got.carried) == set(by_name)
    for name, held in got.carried.items():
        c = by_name[name]
        assert list(held) == sorted(set(held))
        if c.pinned is not None:
            assert set(held) == set(c.pinned)
            continue
        slots = set(held) | ({c.canary} if c.canary else set())
        assert len(slots) <= max(c.capacity, 1 if c.canary else 0), "over capacity"
        for vt in held:
            assert vt in contracts and c.may_carry(vt, contracts[vt]), "may not carry"
    rank = {c.name: (c.priority, c.name) for c in carriers}
    expected: dict[str, list[str]] = {vt: [] for vt in contracts}
    for name, held in got.carried.items():
        for vt in held:
            expected.setdefault(vt, []).append(name)
    assert got.sources == {vt: tuple(sorted(n, key=rank.__getitem__)) for vt, n in expected.items()}
    for vt in contracts:
        sources = got.sources[vt]
        pinned = [n for n in sources if by_name[n].pinned is not None]
        assert len(sources) <= max(copies, len(pinned)), "more copies than wanted"
        if len(pinned) >= copies:
            assert sources == tuple(sorted(pinned, key=rank.__getitem__))
    assert got.uncovered == tuple(vt for vt in sorted(contracts) if not got.sources[vt])
    assert got.single == tuple(
        vt for vt in sorted(contracts) if copies > 1 and len(got.sources[vt]) == 1
    )


def can_still_take(got: Allocation, c: Carrier, vt: str) -> bool:
    held = set(got.carried[c.name])
    slots = held | ({c.canary} if c.canary else set())
    return vt not in held and (vt == c.canary or len(slots) < c.capacity)


@given(contract_maps, carrier_lists(), previous_maps, copies_counts)
@settings(max_examples=200, deadline=None)
def test_the_invariants_hold(contracts, carriers, previous, copies):
    got = allocate(contracts, carriers, previous, copies=copies)
    check_invariants(got, contracts, carriers, copies)
    pairs = {(n, vt) for n, vts in previous.items() for vt in vts}
    assert got.moved == len(pairs ^ {(n, vt) for n, vts in got.carried.items() for vt in vts})


@given(contract_maps, carrier_lists(), previous_maps, copies_counts)
@settings(max_examples=150, deadline=None)
def test_a_contract_short_of_copies_has_no_carrier_left_that_could_take_it(
    contracts, carriers, previous, copies
):
    got = allocate(contracts, carriers, previous, copies=copies)
    for vt, key in contracts.items():
        if len(got.sources[vt]) < copies:
            for c in carriers:
                if c.may_carry(vt, key):
                    assert not can_still_take(got, c, vt), f"{c.name} could take {vt}"


@given(contract_maps, carrier_lists(), previous_maps, copies_counts, st.randoms())
@settings(max_examples=100, deadline=None)
def test_the_order_of_the_carriers_does_not_matter(contracts, carriers, previous, copies, rnd):
    shuffled = list(carriers)
    rnd.shuffle(shuffled)
    one = allocate(contracts, carriers, previous, copies=copies)
    assert one == allocate(contracts, shuffled, previous, copies=copies)


@given(contract_maps, carrier_lists(), previous_maps, copies_counts)
@settings(max_examples=150, deadline=None)
def test_allocating_again_moves_nothing(contracts, carriers, previous, copies):
    first = allocate(contracts, carriers, previous, copies=copies)
    again = allocate(contracts, carriers, first.carried, copies=copies)
    assert again.moved == 0
    assert again.carried == first.carried and again.sources == first.sources


@given(contract_maps, st.sampled_from(VTS), carrier_lists(), copies_counts)
@settings(max_examples=150, deadline=None)
def test_one_contract_more_moves_at_most_its_copies(contracts, added, carriers, copies):
    first = allocate(contracts, carriers, copies=copies)
    more = allocate(contracts | {added: CONTRACTS[added]}, carriers, first.carried, copies=copies)
    assert more.moved <= (0 if added in contracts else copies)
    for name, held in first.carried.items():
        assert set(held) <= set(more.carried[name])


@given(contract_maps, carrier_lists(), copies_counts, st.data())
@settings(max_examples=150, deadline=None)
def test_removing_a_carrier_moves_only_what_it_carried(contracts, carriers, copies, data):
    first = allocate(contracts, carriers, copies=copies)
    if not carriers:
        return
    gone = data.draw(st.sampled_from(carriers))
    rest = [c for c in carriers if c is not gone]
    after = allocate(contracts, rest, first.carried, copies=copies)
    lost = set(first.carried[gone.name])
    for c in rest:
        before, now = set(first.carried[c.name]), set(after.carried[c.name])
        assert before <= now, f"{c.name} lost contracts it carried"
        assert now - before <= lost, f"{c.name} gained what {gone.name} never carried"
    assert after.moved == len(lost) + sum(
        len(set(after.carried[c.name]) - set(first.carried[c.name])) for c in rest
    )


@given(contract_maps, carrier_lists(), previous_maps, copies_counts)
@settings(max_examples=150, deadline=None)
def test_a_previous_carrier_keeps_a_contract_unless_its_copies_or_its_room_ran_out(
    contracts, carriers, previous, copies
):
    got = allocate(contracts, carriers, previous, copies=copies)
    rank = {c.name: (c.priority, c.name) for c in carriers}
    for c in carriers:
        if c.pinned is not None or c.name not in previous:
            continue
        before = sorted({vt for vt in previous[c.name] if vt in contracts})
        held = set(got.carried[c.name])
        kept: list[str] = []
        for vt in before:
            if not c.may_carry(vt, contracts[vt]):
                assert vt not in held
                continue
            if vt in held:
                kept.append(vt)
                continue
            # Dropped: the copies were made up by pins and preferred previous carriers ...
            ahead = [
                n
                for n in got.sources[vt]
                if n != c.name
                and (
                    next(x for x in carriers if x.name == n).pinned is not None
                    or (rank[n] < rank[c.name] and vt in previous.get(n, ()))
                )
            ]
            # ... or its room was taken by what it kept before this one.
            slots = {v for v in kept if v != c.canary} | ({c.canary} if c.canary else set())
            assert len(ahead) >= copies or (vt != c.canary and len(slots) >= c.capacity), (
                f"{c.name} dropped {vt}"
            )


@given(contract_maps, carrier_lists(plain=True), copies_counts)
@settings(max_examples=500, deadline=None)
def test_without_exclusions_every_contract_is_covered_whenever_the_room_suffices(
    contracts, carriers, copies
):
    got = allocate(contracts, carriers, copies=copies)
    n = len(contracts)
    wanted = min(copies, len(carriers))
    enough = sum(min(c.capacity, n) for c in carriers) >= wanted * n
    assert enough == all(len(s) == wanted for s in got.sources.values())


@given(contract_maps, carrier_lists(), copies_counts)
@settings(max_examples=150, deadline=None)
def test_with_room_for_everything_the_preferred_carriers_carry(contracts, carriers, copies):
    roomy = [
        Carrier(c.name, c.priority, len(contracts) + 1, c.excluded, c.pinned, c.canary)
        for c in carriers
    ]
    got = allocate(contracts, roomy, copies=copies)
    ranked = sorted(roomy, key=lambda c: (c.priority, c.name))
    for vt, key in contracts.items():
        pinned = [c.name for c in ranked if c.pinned is not None and vt in c.pinned]
        free = [c.name for c in ranked if c.may_carry(vt, key)]
        expected = {*pinned, *free[: max(0, copies - len(pinned))]}
        assert set(got.sources[vt]) == expected


def test_the_allocation_is_the_same_every_time() -> None:
    rnd = random.Random(7)
    contracts = {vt: CONTRACTS[vt] for vt in rnd.sample(VTS, 9)}
    carriers = [carrier(n, rnd.randint(1, 3), rnd.randint(1, 6)) for n in NAMES]
    results = {repr(allocate(contracts, carriers)) for _ in range(5)}
    assert len(results) == 1
