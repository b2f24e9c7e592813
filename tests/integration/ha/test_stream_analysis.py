"""The analysis the fault-injection tests and the failover benchmark judge by
(:mod:`tickhub_harness.failover_stream`), checked on streams built from the sim's own pure
function: each flaw it must find is put in on purpose, and a clean stream must
come out clean."""

from __future__ import annotations

from tickhub_gateway.sources.sim.feed import SimFeed
from tickhub_harness.failover_recorder import ns_of
from tickhub_harness.failover_stream import NS, Arrival, SimStream, analyse

CONTRACTS = ["rb2605.SHFE", "m2605.DCE"]
RATE = 10.0
PERIOD = NS // 10
SEED = 7
FIRST = 17_640_000_000  # a slot (exchange time ~2025-11-26), arbitrary but fixed
LATENCY = 2_000_000  # 2 ms from exchange time to the client


def stream() -> SimStream:
    return SimStream(CONTRACTS, SEED, RATE)


def arrival(vt_symbol: str, slot: int, seq: int, *, late_ns: int = 0, source: str = "a") -> Arrival:
    tick = SimFeed(vt_symbol, SEED, RATE).tick(slot)
    at = ns_of(tick.datetime)
    return Arrival(
        vt_symbol=vt_symbol,
        seq=seq,
        exchange_ns=at,
        volume=tick.volume,
        last_price=tick.last_price,
        source=source,
        arrived_ns=at + LATENCY + late_ns,
    )


def clean(slots: range) -> list[Arrival]:
    out = []
    for i, slot in enumerate(slots):
        for c in CONTRACTS:
            out.append(arrival(c, slot, i + 1))
    return out


def window(slots: range) -> tuple[int, int]:
    """Judging window: from the first slot to one second past the last."""
    return slots.start * PERIOD, (slots.stop - 1) * PERIOD + LATENCY + NS


SLOTS = range(FIRST, FIRST + 50)


def test_a_clean_stream_is_clean() -> None:
    start, end = window(SLOTS)
    report = analyse(clean(SLOTS), stream(), start, end)
    assert report.clean(), report.summary()
    assert report.expected == report.received == 2 * len(SLOTS)
    assert report.seq_holes == 0
    assert 0.09 < report.longest_gap_s < 1.01  # the tail to the window's end counts


def test_a_missing_slot_is_lost_and_widens_the_gap() -> None:
    gone = {FIRST + 10, FIRST + 11, FIRST + 12}
    arrivals = [
        a
        for a in clean(SLOTS)
        if not (a.vt_symbol == "m2605.DCE" and a.exchange_ns // PERIOD in gone)
    ]
    start = SLOTS.start * PERIOD
    end = arrivals[-1].arrived_ns + 1
    report = analyse(arrivals, stream(), start, end, settle_s=0.0)
    assert report.lost == 3
    assert report.contracts["m2605.DCE"].lost_slots == sorted(gone)
    assert report.contracts["rb2605.SHFE"].lost == 0
    assert abs(report.contracts["m2605.DCE"].longest_gap_s - 0.4) < 1e-6
    assert abs(report.contracts["rb2605.SHFE"].longest_gap_s - 0.1) < 1e-6


def test_excused_slots_are_not_lost() -> None:
    missing = {FIRST + 20, FIRST + 21}
    arrivals = [a for a in clean(SLOTS) if a.exchange_ns // PERIOD not in missing]
    start, end = window(SLOTS)
    excused = [((FIRST + 20) * PERIOD, (FIRST + 22) * PERIOD)]
    report = analyse(arrivals, stream(), start, end, excused=excused)
    assert report.lost == 0, report.summary()
    assert report.expected == 2 * (len(SLOTS) - 2)


def test_a_repeat_is_duplicated_and_an_old_tick_out_of_order() -> None:
    arrivals = clean(SLOTS)
    # The same tick again (a second source's copy let through) ...
    arrivals.append(arrival("rb2605.SHFE", FIRST + 49, 51, late_ns=5_000_000, source="b"))
    # ... and a stale one, older than what was already forwarded (a replay).
    arrivals.append(arrival("m2605.DCE", FIRST + 30, 52, late_ns=3 * NS // 2, source="b"))
    arrivals.sort(key=lambda a: a.arrived_ns)
    start, end = window(SLOTS)
    report = analyse(arrivals, stream(), start, end + 2 * NS, settle_s=3.0)
    assert report.duplicated == 2  # the stale copy of slot 30 is also a repeat of its key
    assert report.contracts["rb2605.SHFE"].duplicated == 1
    assert report.lost == 0


def test_an_old_tick_not_seen_before_is_out_of_order() -> None:
    arrivals = [
        a
        for a in clean(SLOTS)
        if not (a.vt_symbol == "m2605.DCE" and a.exchange_ns // PERIOD == FIRST + 5)
    ]
    arrivals.append(arrival("m2605.DCE", FIRST + 5, 60, late_ns=2 * NS))
    arrivals.sort(key=lambda a: a.arrived_ns)
    start, end = window(SLOTS)
    report = analyse(arrivals, stream(), start, end + 3 * NS, settle_s=4.0)
    assert report.out_of_order == 1
    assert report.duplicated == 0
    assert report.lost == 0  # it did arrive, late
    assert report.max_latency_s >= 2.0


def test_a_tick_with_wrong_content_is_mismatched() -> None:
    arrivals = clean(SLOTS)
    bad = arrivals[10]
    arrivals[10] = Arrival(
        vt_symbol=bad.vt_symbol, seq=bad.seq, exchange_ns=bad.exchange_ns,
        volume=bad.volume + 1, last_price=bad.last_price, source=bad.source,
        arrived_ns=bad.arrived_ns,
    )  # fmt: skip
    start, end = window(SLOTS)
    assert analyse(arrivals, stream(), start, end).mismatched == 1


def test_a_stream_that_stops_has_its_tail_as_the_gap() -> None:
    arrivals = clean(range(FIRST, FIRST + 10))
    start = FIRST * PERIOD
    end = start + 5 * NS
    report = analyse(arrivals, stream(), start, end)
    assert report.longest_gap_s > 4.0
    assert report.lost > 0


def test_arrivals_before_the_window_set_what_was_already_forwarded() -> None:
    arrivals = clean(SLOTS)
    start = (FIRST + 25) * PERIOD + LATENCY + 1
    # A copy of slot 10 arriving inside the window is stale although slot 10 is before it.
    arrivals.append(arrival("rb2605.SHFE", FIRST + 10, 99, late_ns=3 * NS))
    arrivals.sort(key=lambda a: a.arrived_ns)
    _, end = window(SLOTS)
    report = analyse(arrivals, stream(), start, end + 3 * NS, settle_s=4.0)
    assert report.duplicated == 1
