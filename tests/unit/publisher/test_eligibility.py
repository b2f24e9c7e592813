"""The bridge's tick path under routing: which sources' ticks go out, and that every
tick goes out once, the first copy to arrive from any eligible source.

The bridge is fed directly (``on_batch``, as its NATS callback does) and writes to a
real ZeroMQ socket: an inproc PAIR, so every frame it sends is read back here, in
order, with nothing lost to a subscription that has not arrived yet.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence

import pytest
import zmq
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts import buckets, codec, subjects, zeromq
from tickhub_contracts.messages import ContractRoute, Tick, TickBatch
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_publisher import bridge as bridge_module
from tickhub_publisher.bridge import Bridge

SLOT0 = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
RB = "rb2605.SHFE"
AU = "au2602.SHFE"
AT = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)

Key = tuple[dt.datetime, float]


def tick(source: str, slot: int, vt_symbol: str = RB, *, live: bool = True) -> Tick:
    """The tick of ``slot``; two ticks share a timestamp (as CZCE's whole seconds do),
    so the volume has to break the tie."""
    symbol, exchange = vt_symbol.split(".")
    return Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=SLOT0 + dt.timedelta(seconds=slot // 2),
        volume=float(slot),
        last_price=3500.0 + slot % 7,
        source=source,
        live=live,
    )


def key(t: Tick) -> Key:
    return (t.datetime, t.volume)


def subject(t: Tick) -> str:
    return subjects.ticks(t.source, t.exchange)


def entry(vt_symbol: str, eligible: Sequence[str], mode: str = "hot") -> bytes:
    route = ContractRoute(
        vt_symbol=vt_symbol,
        source=eligible[0],
        at=AT,
        eligible=list(eligible),
        mode=mode,  # type: ignore[arg-type]
    )
    return codec.encode(route)


class Wire:
    """A bridge writing into one end of an inproc PAIR; the test reads the other."""

    _names = itertools.count()

    def __init__(self) -> None:
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        address = f"inproc://eligibility-{next(self._names)}"
        self.reader = self.context.socket(zmq.PAIR)
        self.reader.bind(address)
        self.writer = self.context.socket(zmq.PAIR)
        self.writer.setsockopt(zmq.SNDHWM, 0)
        self.writer.connect(address)
        self.bridge = Bridge(self.writer)
        self._seen = 0

    def route(self, vt_symbol: str, *eligible: str, mode: str = "hot") -> None:
        raw = entry(vt_symbol, eligible, mode) if eligible else None
        self.bridge.on_route_entry(buckets.routing_key(vt_symbol), raw)

    def send(self, *ticks: Tick) -> None:
        """One batch, as one worker's wake-up sends it (one source, one exchange)."""
        self.bridge.on_batch(subject(ticks[0]), codec.encode(TickBatch(ticks=list(ticks))))

    def out(self) -> list[Tick]:
        """Everything forwarded since the last call, in order."""
        forwarded = self.bridge.counters.forwarded
        got = []
        for _ in range(forwarded - self._seen):
            assert self.reader.poll(2000), "a forwarded tick never came out"
            topic, payload = self.reader.recv_multipart()
            t = zeromq.decode(payload)
            assert topic == zeromq.topic(t.vt_symbol)
            got.append(t)
        self._seen = forwarded
        assert not self.reader.poll(0), "more came out than was counted"
        return got

    def close(self) -> None:
        self.writer.close(0)
        self.reader.close(0)


@pytest.fixture
def wire() -> Iterator[Wire]:
    w = Wire()
    yield w
    w.close()


def slots(ticks: list[Tick]) -> list[int]:
    return [int(t.volume) for t in ticks]


# --- eligibility ------------------------------------------------------------------


def test_nothing_goes_out_for_a_contract_without_a_route(wire: Wire) -> None:
    for slot in range(1, 4):
        wire.send(tick("sim-a", slot))
    assert wire.out() == []
    assert wire.bridge.counters.not_eligible == 3


def test_only_eligible_sources_are_forwarded(wire: Wire) -> None:
    wire.route(RB, "sim-a", "sim-b")
    wire.send(tick("sim-a", 1))
    wire.send(tick("sim-c", 2))  # not eligible, and newer: held, not judged
    wire.send(tick("sim-b", 3))
    assert [(int(t.volume), t.source, t.seq) for t in wire.out()] == [
        (1, "sim-a", 1),
        (3, "sim-b", 2),
    ]
    counters = wire.bridge.counters
    assert (counters.not_eligible, counters.malformed) == (1, 0)


def test_a_route_per_contract(wire: Wire) -> None:
    wire.route(RB, "sim-a")
    wire.route(AU, "sim-b")
    for source in ("sim-a", "sim-b"):
        wire.send(tick(source, 1, RB))
        wire.send(tick(source, 1, AU))
    assert [(t.vt_symbol, t.source) for t in wire.out()] == [(RB, "sim-a"), (AU, "sim-b")]


def test_a_feed_first_seen_after_its_route_is_eligible_at_once(wire: Wire) -> None:
    wire.route(RB, "sim-a", "sim-b")
    wire.send(tick("sim-b", 1))  # the bridge has never seen this source and contract
    assert slots(wire.out()) == [1]


def test_routing_changes_take_effect_on_the_next_tick(wire: Wire) -> None:
    wire.route(RB, "sim-a")
    wire.send(tick("sim-a", 1))
    wire.send(tick("sim-b", 1))
    wire.route(RB, "sim-b")  # cold-mode switch: sim-a is out
    wire.send(tick("sim-a", 2))
    wire.send(tick("sim-b", 2))
    wire.route(RB)  # the key deleted: nobody
    wire.send(tick("sim-a", 3))
    wire.send(tick("sim-b", 3))
    assert [(int(t.volume), t.source) for t in wire.out()] == [(1, "sim-a"), (2, "sim-b")]


def test_a_newly_eligible_source_offers_its_latest_tick_if_newer(wire: Wire) -> None:
    wire.route(RB, "sim-a")
    for slot in range(1, 11):
        wire.send(tick("sim-a", slot))
    wire.send(tick("sim-b", 9))
    wire.send(tick("sim-b", 11))  # ahead: sim-a died before sending slot 11
    assert slots(wire.out()) == list(range(1, 11))
    wire.route(RB, "sim-b", mode="cold")
    [replayed] = wire.out()
    assert (int(replayed.volume), replayed.seq, replayed.source) == (11, 11, "sim-b")
    assert wire.bridge.counters.replayed == 1


def test_a_held_tick_that_is_old_or_stale_is_not_offered(
    wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire.route(RB, "sim-a")
    for slot in range(1, 6):
        wire.send(tick("sim-a", slot))
    wire.send(tick("sim-b", 5))  # held, not newer than what went out
    wire.route(RB, "sim-a", "sim-b")
    assert slots(wire.out()) == [1, 2, 3, 4, 5]
    assert wire.bridge.counters.replayed == 0
    # A newer held tick that waited too long is not offered either.
    wire.send(tick("sim-c", 6))
    monkeypatch.setattr(bridge_module, "HELD_FRESH_S", -1.0)
    wire.route(RB, "sim-a", "sim-b", "sim-c")
    assert wire.out() == []


def test_a_recovering_source_that_replays_older_ticks_publishes_none_of_them(
    wire: Wire,
) -> None:
    wire.route(RB, "sim-a", "sim-b")
    for slot in range(1, 21):
        wire.send(tick("sim-a", slot))
        if slot <= 10:
            wire.send(tick("sim-b", slot))
    # sim-b failed at slot 10 and is routed out; sim-a carries on alone.
    wire.route(RB, "sim-a")
    for slot in range(21, 31):
        wire.send(tick("sim-a", slot))
    before = wire.out()
    assert slots(before) == list(range(1, 31))
    # sim-b comes back: its front replays its session (snapshots, then live ticks it
    # had buffered, all older than what went out), and it is eligible again.
    for slot in range(1, 31):
        wire.send(tick("sim-b", slot, live=False))
    wire.route(RB, "sim-a", "sim-b")
    for slot in range(5, 31):
        wire.send(tick("sim-b", slot))
    assert wire.out() == []
    # Then both carry the stream again: each slot once.
    for slot in range(31, 41):
        wire.send(tick("sim-b", slot))
        wire.send(tick("sim-a", slot))
    after = wire.out()
    assert slots(after) == list(range(31, 41))
    assert {t.source for t in after} == {"sim-b"}
    assert [t.seq for t in before + after] == list(range(1, 41))


def test_an_unreadable_entry_routes_nothing_for_its_contract(wire: Wire) -> None:
    wire.route(RB, "sim-a")
    wire.bridge.on_route_entry("SHFE.rb2605", b"garbage")
    wire.bridge.on_route_entry("not-a-key", entry(RB, ["sim-a"]))
    wire.send(tick("sim-a", 1))
    assert wire.out() == []
    assert RB not in wire.bridge.table


def test_a_batch_is_judged_tick_by_tick_in_its_order(wire: Wire) -> None:
    """One batch carries many contracts; each tick goes by its own contract's route."""
    wire.route(RB, "sim-a")
    wire.send(
        tick("sim-a", 1),
        tick("sim-a", 1, AU),  # no route for au: held
        tick("sim-a", 2),
        tick("sim-a", 1),  # the first again, after a newer one: stale
    )
    assert [(t.vt_symbol, int(t.volume), t.seq) for t in wire.out()] == [(RB, 1, 1), (RB, 2, 2)]
    counters = wire.bridge.counters
    assert (counters.received, counters.not_eligible, counters.stale) == (4, 1, 1)
    wire.route(AU, "sim-a")  # the held au tick is offered at once
    assert [(t.vt_symbol, t.seq) for t in wire.out()] == [(AU, 1)]


def test_garbage_costs_its_batch_and_a_bad_tick_only_itself(wire: Wire) -> None:
    wire.route(RB, "sim-a")
    wire.bridge.on_batch(subjects.ticks("sim-a", "SHFE"), b"}{ not json")
    wire.bridge.on_batch("tickhub.ticks.sim-a", codec.encode(TickBatch(ticks=[tick("sim-a", 1)])))
    assert wire.bridge.counters.malformed == 2
    wrong = tick("sim-b", 1)  # another source's tick on sim-a's subject
    bad_symbol = tick("sim-a", 2, "rb 2605.SHFE")
    wire.bridge.on_batch(
        subjects.ticks("sim-a", "SHFE"),
        codec.encode(TickBatch(ticks=[wrong, bad_symbol, tick("sim-a", 3)])),
    )
    assert wire.bridge.counters.malformed == 4
    assert slots(wire.out()) == [3]


# --- arbitration --------------------------------------------------------------------


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[int, list[tuple[str, int]], set[str]]:
    """N sources each sending the same stream of K ticks, in its own order, in an
    arbitrary interleaving; some sources are not eligible."""
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 30))
    sources = [f"sim-{chr(97 + i)}" for i in range(n)]
    eligible = set(draw(st.lists(st.sampled_from(sources), min_size=1, unique=True)))
    pending = {source: list(range(1, k + 1)) for source in sources}
    order: list[tuple[str, int]] = []
    while any(pending.values()):
        source = draw(st.sampled_from([s for s in sources if pending[s]]))
        order.append((source, pending[source].pop(0)))
    return k, order, eligible


@settings(max_examples=200, deadline=None)
@given(case=interleavings())
def test_every_tick_goes_out_once_in_order_the_first_eligible_copy(
    case: tuple[int, list[tuple[str, int]], set[str]],
) -> None:
    k, order, eligible = case
    wire = Wire()
    try:
        wire.route(RB, *sorted(eligible))
        first: dict[int, str] = {}
        for source, slot in order:
            wire.send(tick(source, slot))
            if source in eligible:
                first.setdefault(slot, source)
        got = wire.out()
    finally:
        wire.close()
    assert slots(got) == list(range(1, k + 1))  # the union, in order, once each
    assert [t.seq for t in got] == list(range(1, k + 1))
    assert [t.source for t in got] == [first[slot] for slot in range(1, k + 1)]
    assert {t.source for t in got} <= eligible


@st.composite
def gappy_interleavings(draw: st.DrawFn) -> tuple[list[tuple[str, int]], set[str]]:
    """As above, but each source misses some ticks of the stream (a dropped feed)."""
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 30))
    sources = [f"sim-{chr(97 + i)}" for i in range(n)]
    eligible = set(draw(st.lists(st.sampled_from(sources), min_size=1, unique=True)))
    pending = {source: sorted(draw(st.sets(st.integers(1, k), max_size=k))) for source in sources}
    order: list[tuple[str, int]] = []
    while any(pending.values()):
        source = draw(st.sampled_from([s for s in sources if pending[s]]))
        order.append((source, pending[source].pop(0)))
    return order, eligible


@settings(max_examples=200, deadline=None)
@given(case=gappy_interleavings())
def test_with_gaps_every_tick_not_overtaken_goes_out_once_and_never_backwards(
    case: tuple[list[tuple[str, int]], set[str]],
) -> None:
    order, eligible = case
    wire = Wire()
    try:
        wire.route(RB, *sorted(eligible))
        for source, slot in order:
            wire.send(tick(source, slot))
        got = wire.out()
    finally:
        wire.close()
    arrivals = [(source, slot) for source, slot in order if source in eligible]
    # A tick goes out iff, at its first eligible arrival, no later tick has arrived.
    expected: list[tuple[str, int]] = []
    newest = 0
    for source, slot in arrivals:
        if slot > newest:
            expected.append((source, slot))
        newest = max(newest, slot)
    assert [(t.source, int(t.volume)) for t in got] == expected
    assert [t.seq for t in got] == list(range(1, len(got) + 1))
    assert slots(got) == sorted(set(slots(got)))  # strictly increasing: no repeat


def test_a_faster_backup_carries_the_stream(wire: Wire) -> None:
    """The backup's copies arrive first: it is the one the client gets, with no gap."""
    wire.route(RB, "sim-a", "sim-b")
    for slot in range(1, 51):
        wire.send(tick("sim-b", slot))
        wire.send(tick("sim-a", slot))
    got = wire.out()
    assert slots(got) == list(range(1, 51))
    assert {t.source for t in got} == {"sim-b"}
    assert wire.bridge.counters.duplicates == 50


def test_losing_a_source_mid_stream_loses_no_tick_the_other_had(wire: Wire) -> None:
    wire.route(RB, "sim-a", "sim-b")
    for slot in range(1, 21):
        wire.send(tick("sim-a", slot))
        wire.send(tick("sim-b", slot))
    for slot in range(21, 41):  # sim-a is dead; the routing has not noticed yet
        wire.send(tick("sim-b", slot))
    wire.route(RB, "sim-b")
    for slot in range(41, 51):
        wire.send(tick("sim-b", slot))
    got = wire.out()
    assert slots(got) == list(range(1, 51))
    assert [t.seq for t in got] == list(range(1, 51))
