"""Main-contract aliases (tickhub_publisher.mains and the bridge's part of them).

The bridge is fed directly (``on_batch``) and writes into an inproc PAIR, so every
frame it sends is read back here in order: ticks, alias copies and announcements.

The rule itself (``tickhub_universe.main_contract.decide``) is not under test here:
:class:`HighestInterest` below is a TEST DOUBLE standing in for it, so these tests
pin what the publisher does with a decision, not which month the rule picks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import msgspec
import pytest
import zmq
from hypothesis import given, settings
from hypothesis import strategies as st

from tickhub_contracts import buckets, codec, subjects, zeromq
from tickhub_contracts.messages import (
    ContractRoute,
    DayClose,
    MainContract,
    ProductCloses,
    Tick,
    TickBatch,
)
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_markets.trading_days import trading_day
from tickhub_publisher.arbiter import Arbiter
from tickhub_publisher.bridge import Bridge
from tickhub_publisher.mains import KEPT, Mains, future_product, roll_moment
from tickhub_universe.entries import alias_of

RB05, RB10 = "rb2605.SHFE", "rb2610.SHFE"
ALIAS = "rb888.SHFE"
TOPIC = b"rb888.SHFE"
ANNOUNCE = b"#main.rb888.SHFE"
KEY = "SHFE.rb"
# Trading day Wednesday 2026-11-25 starts with Tuesday's night session.
NIGHT_A = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
CLOSE_A = dt.datetime(2026, 11, 25, 14, 59, tzinfo=CHINA_TZ)
NIGHT_B = dt.datetime(2026, 11, 25, 21, 0, tzinfo=CHINA_TZ)  # trading day 2026-11-26
DAY_A, DAY_B = dt.date(2026, 11, 25), dt.date(2026, 11, 26)
DECIDED_AT = dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC)


# --- a TEST DOUBLE of the rule (not tickhub_universe's) --------------------------------


@dataclass(frozen=True)
class Choice:
    vt_symbol: str
    changed: bool
    reason: str


class HighestInterest:
    """TEST DOUBLE of ``tickhub_universe.main_contract.decide``: the month with the
    highest open interest of the closes. Records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, dict[str, DayClose], dt.date]] = []

    def __call__(
        self, current: str | None, closes: Mapping[str, DayClose], *, today: dt.date
    ) -> Choice | None:
        self.calls.append((current, dict(closes), today))
        if not closes:
            return None
        best = max(closes, key=lambda vt: (closes[vt].open_interest, vt))
        if current is None:
            return Choice(best, True, "first decision (double)")
        return Choice(best, best != current, "double: highest open interest")


class Silent(HighestInterest):
    """TEST DOUBLE of the rule: decides once, then has nothing to decide from."""

    def __call__(
        self, current: str | None, closes: Mapping[str, DayClose], *, today: dt.date
    ) -> Choice | None:
        choice = super().__call__(current, closes, today=today)
        return choice if current is None else None


class Broken(HighestInterest):
    """TEST DOUBLE of the rule that decides once, then fails."""

    def __call__(
        self, current: str | None, closes: Mapping[str, DayClose], *, today: dt.date
    ) -> Choice | None:
        if current is not None:
            raise RuntimeError("a bug in the rule")
        return super().__call__(current, closes, today=today)


# --- the wire ----------------------------------------------------------------------------


def tick(
    vt_symbol: str,
    at: dt.datetime,
    *,
    volume: float = 1.0,
    oi: float = 0.0,
    source: str = "sim-a",
) -> Tick:
    symbol, exchange = vt_symbol.split(".")
    return Tick(
        symbol=symbol,
        exchange=exchange,
        datetime=at,
        volume=volume,
        open_interest=oi,
        last_price=3500.0,
        source=source,
    )


Frame = tuple[bytes, bytes]


class Wire:
    """A bridge with aliases writing into an inproc PAIR; the test reads every frame."""

    _names = itertools.count()

    def __init__(self, rule: object = None, *, first_look_s: float = 5.0, load: bool = True):
        self.rule = rule if rule is not None else HighestInterest()
        context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        address = f"inproc://mains-{next(self._names)}"
        self.reader = context.socket(zmq.PAIR)
        self.reader.bind(address)
        self.writer = context.socket(zmq.PAIR)
        self.writer.setsockopt(zmq.SNDHWM, 0)
        self.writer.connect(address)
        self.bridge = Bridge(self.writer, decide=self.rule, first_look_s=first_look_s)  # type: ignore[arg-type]
        assert self.bridge.mains is not None
        self.mains: Mains = self.bridge.mains
        self.outcomes: list[MainContract] = []
        self.bridge.on_main = lambda outcome: self.outcomes.append(outcome.main)
        if load:
            self.mains.load({}, {})
        self._routed: set[str] = set()

    def send(self, *ticks: Tick) -> None:
        for t in ticks:
            if t.vt_symbol not in self._routed:
                self._routed.add(t.vt_symbol)
                route = ContractRoute(
                    vt_symbol=t.vt_symbol, source="sim-a", at=DECIDED_AT, eligible=["sim-a"]
                )
                self.bridge.on_route_entry(buckets.routing_key(t.vt_symbol), codec.encode(route))
        subject = subjects.ticks(ticks[0].source, ticks[0].exchange)
        self.bridge.on_batch(subject, codec.encode(TickBatch(ticks=list(ticks))))

    def frames(self) -> list[Frame]:
        got = []
        while self.reader.poll(0):
            topic, payload = self.reader.recv_multipart()
            got.append((topic, payload))
        return got

    def close(self) -> None:
        self.writer.close(0)
        self.reader.close(0)


@pytest.fixture
def wire() -> Iterator[Wire]:
    w = Wire()
    yield w
    w.close()


def shown(frames: list[Frame]) -> list[tuple[str, str]]:
    """Each frame as (topic, what it carries): a tick's vt_symbol and volume, or
    ``-> vt_symbol`` for an announcement."""
    out = []
    for topic, payload in frames:
        if topic.startswith(zeromq.ANNOUNCEMENT):
            out.append((topic.decode(), "-> " + zeromq.decode_main_contract(payload).vt_symbol))
        else:
            t = zeromq.decode(payload)
            out.append((topic.decode(), f"{t.vt_symbol} {t.volume:g}"))
    return out


# --- pure parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "product"),
    [
        ("rb2605", "rb"),
        ("SR605", "SR"),
        ("IF2512", "IF"),
        ("sc2612", "sc"),
        ("au2606C600", None),  # an option
        ("m2605-C-3000", None),
        ("SR605C5000", None),
        ("rb888", None),  # an alias is no month
        ("rb2613", None),
        ("rb26", None),
        ("rb26050", None),
        ("2605", None),
    ],
)
def test_a_future_is_letters_and_3_or_4_digits_ending_in_a_month(
    symbol: str, product: str | None
) -> None:
    assert future_product(symbol) == product


def test_the_alias_and_its_topics() -> None:
    assert alias_of("SHFE", "rb") == ALIAS
    assert alias_of("CZCE", "SR") == "SR888.CZCE"
    mains = Mains(Arbiter().lane, HighestInterest())
    product = mains.product_of("SHFE", "rb2605")
    assert product is not None
    assert (product.key, product.alias) == (KEY, ALIAS)
    assert (product.topic, product.announce_topic) == (TOPIC, ANNOUNCE)


def test_the_roll_moment_is_17_00_china_time_on_the_trading_day() -> None:
    at = roll_moment(DAY_A)
    assert at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=CHINA_TZ)
    assert roll_moment(DAY_A, dt.UTC) == at and roll_moment(DAY_A, dt.UTC).tzinfo is dt.UTC
    # Every tick the hub forwards from then on belongs to a later trading day: the
    # opening auction at 20:59 as much as Friday's night session.
    assert trading_day(at) == DAY_B
    assert trading_day(at - dt.timedelta(microseconds=1)) == DAY_A
    friday = dt.date(2026, 11, 27)
    assert trading_day(roll_moment(friday)) == dt.date(2026, 11, 30)


def test_options_foreign_and_unknown_products_have_no_alias() -> None:
    mains = Mains(Arbiter().lane, HighestInterest())
    assert mains.product_of("SHFE", "au2606C600") is None
    assert mains.product_of("DCE", "m2605-C-3000") is None
    assert mains.product_of("SHFE", "bench0001") is None  # not in the session table
    assert mains.product_of("PROBE", "probe0") is None
    assert mains.products == {}


def test_the_months_of_a_product_share_its_state_and_register_their_lanes() -> None:
    arbiter = Arbiter()
    mains = Mains(arbiter.lane, HighestInterest())
    a = mains.product_of("SHFE", "rb2605")
    b = mains.product_of("SHFE", "rb2610")
    assert a is b and a is not None
    assert a.months == {RB05: arbiter.lane(RB05), RB10: arbiter.lane(RB10)}
    assert mains.product_of("SHFE", "au2606") is not a


# --- the tick path ------------------------------------------------------------------------


def test_a_fresh_product_gets_its_first_decision_after_the_first_look(wire: Wire) -> None:
    wire.send(tick(RB10, NIGHT_A, volume=1, oi=50))
    wire.send(tick(RB05, NIGHT_A, volume=1, oi=100))
    wire.send(tick(RB10, NIGHT_A + dt.timedelta(seconds=4), volume=2, oi=50))
    assert [topic for topic, _ in wire.frames()] == [b"rb2610.SHFE", b"rb2605.SHFE"] * 1 + [
        b"rb2610.SHFE"
    ]
    # Five seconds of exchange time later: the highest open interest seen.
    wire.send(tick(RB10, NIGHT_A + dt.timedelta(seconds=5), volume=3, oi=50))
    wire.send(tick(RB05, NIGHT_A + dt.timedelta(seconds=6), volume=2, oi=101))
    assert shown(wire.frames()) == [
        ("#main.rb888.SHFE", "-> rb2605.SHFE"),
        ("rb2610.SHFE", "rb2610.SHFE 3"),
        ("rb2605.SHFE", "rb2605.SHFE 2"),
        ("rb888.SHFE", "rb2605.SHFE 2"),
    ]
    [main] = wire.outcomes
    assert (main.alias, main.vt_symbol, main.trading_day) == (ALIAS, RB05, DAY_A)
    assert (main.reason, main.previous, main.open_interest, main.volume) == (
        "first decision (double)",
        "",
        100,
        1,
    )
    # The rule, asked with no current contract and the last tick of each month seen.
    assert wire.rule.calls == [  # type: ignore[attr-defined]
        (
            None,
            {
                RB05: DayClose(volume=1, open_interest=100),
                RB10: DayClose(volume=3, open_interest=50),
            },
            DAY_A,
        )
    ]
    counters = wire.bridge.counters
    assert (counters.forwarded, counters.aliased, counters.announced) == (5, 1, 1)


def test_the_alias_frame_is_the_same_payload_as_the_ticks(wire: Wire) -> None:
    wire.send(tick(RB05, NIGHT_A, oi=10))
    wire.send(tick(RB05, NIGHT_A + dt.timedelta(seconds=6), volume=7, oi=10))
    frames = wire.frames()
    assert [topic for topic, _ in frames] == [b"rb2605.SHFE", ANNOUNCE, b"rb2605.SHFE", TOPIC]
    assert frames[2][1] == frames[3][1]
    aliased = zeromq.decode(frames[3][1])
    assert (aliased.symbol, aliased.seq) == ("rb2605", 2)  # the real symbol and seq


def test_a_roll_decides_from_the_ended_days_closes_and_announces_first(wire: Wire) -> None:
    wire.send(tick(RB05, NIGHT_A, volume=1, oi=100), tick(RB10, NIGHT_A, volume=1, oi=50))
    wire.send(tick(RB05, NIGHT_A + dt.timedelta(seconds=6), volume=2, oi=100))
    wire.send(tick(RB05, CLOSE_A, volume=1000, oi=200), tick(RB10, CLOSE_A, volume=2000, oi=300))
    wire.frames()
    # The first tick of trading day B is of the old main: its close is the one before.
    wire.send(tick(RB05, NIGHT_B, volume=5, oi=201))
    wire.send(tick(RB10, NIGHT_B, volume=9, oi=301))
    assert shown(wire.frames()) == [
        ("#main.rb888.SHFE", "-> rb2610.SHFE"),
        ("rb2605.SHFE", "rb2605.SHFE 5"),
        ("rb2610.SHFE", "rb2610.SHFE 9"),
        ("rb888.SHFE", "rb2610.SHFE 9"),
    ]
    calls = wire.rule.calls  # type: ignore[attr-defined]
    assert calls[1:] == [
        (
            RB05,
            {
                RB05: DayClose(volume=1000, open_interest=200),
                RB10: DayClose(volume=2000, open_interest=300),
            },
            DAY_B,
        )
    ]
    main = wire.outcomes[-1]
    assert (main.vt_symbol, main.previous, main.trading_day) == (RB10, RB05, DAY_B)
    assert (main.volume, main.open_interest) == (2000, 300)
    assert main.reason == "double: highest open interest"


def test_a_kept_main_is_announced_again_for_the_new_day(wire: Wire) -> None:
    wire.send(tick(RB05, NIGHT_A, oi=100), tick(RB05, NIGHT_A + dt.timedelta(seconds=6), oi=100))
    wire.frames()
    wire.send(tick(RB05, NIGHT_B, oi=100))
    assert shown(wire.frames()) == [
        ("#main.rb888.SHFE", "-> rb2605.SHFE"),
        ("rb2605.SHFE", "rb2605.SHFE 1"),
        ("rb888.SHFE", "rb2605.SHFE 1"),
    ]
    main = wire.outcomes[-1]
    assert (main.vt_symbol, main.previous, main.trading_day) == (RB05, RB05, DAY_B)


def test_nothing_to_decide_from_keeps_the_main() -> None:
    w = Wire(Silent())
    try:
        w.send(tick(RB05, NIGHT_A, oi=1), tick(RB05, NIGHT_A + dt.timedelta(seconds=6), oi=1))
        w.send(tick(RB10, NIGHT_B, oi=9))
        main = w.outcomes[-1]
        assert (main.vt_symbol, main.previous, main.reason) == (RB05, RB05, KEPT)
        assert main.trading_day == DAY_B
    finally:
        w.close()


def test_a_tick_that_does_not_go_out_decides_nothing(wire: Wire) -> None:
    wire.send(tick(RB05, NIGHT_A, oi=100), tick(RB05, NIGHT_A + dt.timedelta(seconds=6), oi=100))
    wire.frames()
    late = tick(RB05, NIGHT_B, oi=100)
    late.live = False  # a replayed snapshot
    future = tick(RB05, dt.datetime.now(dt.UTC) + dt.timedelta(days=2), oi=100)
    outside = tick(RB05, NIGHT_B, oi=100)
    outside.in_session = False
    wire.send(late, future, outside)
    assert wire.frames() == [] and len(wire.outcomes) == 1


def test_nothing_is_decided_before_the_buckets_are_read() -> None:
    w = Wire(load=False)
    try:
        w.send(tick(RB05, NIGHT_A, oi=1), tick(RB05, NIGHT_A + dt.timedelta(seconds=9), oi=1))
        assert [topic for topic, _ in w.frames()] == [b"rb2605.SHFE"] * 2
        w.mains.load({}, {})
        w.send(tick(RB05, NIGHT_A + dt.timedelta(seconds=10), oi=1))
        w.send(tick(RB05, NIGHT_A + dt.timedelta(seconds=16), oi=1))
        assert [topic for topic, _ in w.frames()] == [
            b"rb2605.SHFE",
            ANNOUNCE,
            b"rb2605.SHFE",
            TOPIC,
        ]
    finally:
        w.close()


def stored_main(vt_symbol: str, day: dt.date) -> MainContract:
    return MainContract(
        alias=ALIAS, vt_symbol=vt_symbol, trading_day=day, decided_at=DECIDED_AT, reason="x"
    )


def test_a_restart_keeps_the_stored_alias_of_the_day_and_announces_it(wire: Wire) -> None:
    w = Wire(load=False)
    try:
        w.mains.load({KEY: stored_main(RB10, DAY_A)}, {})
        w.send(tick(RB05, CLOSE_A, oi=1))
        w.send(tick(RB10, CLOSE_A, oi=1))
        assert [topic for topic, _ in w.frames()] == [
            ANNOUNCE,
            b"rb2605.SHFE",
            b"rb2610.SHFE",
            TOPIC,
        ]
        assert w.rule.calls == []  # type: ignore[attr-defined]
    finally:
        w.close()


def test_a_restart_after_the_close_decides_from_the_stored_closes() -> None:
    w = Wire(load=False)
    try:
        book = ProductCloses(
            exchange="SHFE",
            product="rb",
            trading_day=DAY_A,
            closes={
                RB05: DayClose(volume=100, open_interest=10),
                RB10: DayClose(volume=900, open_interest=90),
            },
        )
        w.mains.load({KEY: stored_main(RB05, DAY_A)}, {KEY: book})
        w.send(tick(RB05, NIGHT_B, oi=11))
        w.send(tick(RB10, NIGHT_B, oi=91))
        assert shown(w.frames()) == [
            ("#main.rb888.SHFE", "-> rb2610.SHFE"),
            ("rb2605.SHFE", "rb2605.SHFE 1"),
            ("rb2610.SHFE", "rb2610.SHFE 1"),
            ("rb888.SHFE", "rb2610.SHFE 1"),
        ]
        assert w.rule.calls == [(RB05, dict(book.closes), DAY_B)]  # type: ignore[attr-defined]
    finally:
        w.close()


def test_a_fresh_product_with_stored_closes_only_applies_the_rule_at_once() -> None:
    w = Wire(load=False)
    try:
        book = ProductCloses(
            exchange="SHFE",
            product="rb",
            trading_day=DAY_A,
            closes={RB10: DayClose(volume=1, open_interest=5)},
        )
        w.mains.load({}, {KEY: book})
        w.send(tick(RB10, NIGHT_B))
        assert [topic for topic, _ in w.frames()] == [ANNOUNCE, b"rb2610.SHFE", TOPIC]
        assert w.rule.calls == [(None, {RB10: DayClose(volume=1, open_interest=5)}, DAY_B)]  # type: ignore[attr-defined]
    finally:
        w.close()


def test_a_failing_rule_costs_the_decision_not_the_ticks() -> None:
    w = Wire(Broken())
    try:
        w.send(tick(RB05, NIGHT_A, oi=1), tick(RB05, NIGHT_A + dt.timedelta(seconds=6), oi=1))
        w.frames()
        w.send(tick(RB05, NIGHT_B), tick(RB05, NIGHT_B + dt.timedelta(seconds=1)))
        # The first decision stays; the rule is not asked again until the next day.
        assert [topic for topic, _ in w.frames()] == [b"rb2605.SHFE", TOPIC] * 2
        assert w.bridge.counters.forwarded == 4
    finally:
        w.close()


def test_options_are_never_aliased(wire: Wire) -> None:
    option = "au2606C600.SHFE"
    wire.send(tick(option, NIGHT_A, oi=1e9), tick(option, NIGHT_A + dt.timedelta(seconds=9)))
    assert [topic for topic, _ in wire.frames()] == [b"au2606C600.SHFE"] * 2
    assert wire.mains.products == {}


# --- the day book ---------------------------------------------------------------------------


def test_books_are_handed_out_only_for_products_that_ticked_since(wire: Wire) -> None:
    wire.send(tick(RB05, NIGHT_A, volume=3, oi=30), tick(RB10, NIGHT_A, volume=4, oi=40))
    [book] = wire.mains.changed_books()
    assert (book.exchange, book.product, book.trading_day) == ("SHFE", "rb", DAY_A)
    assert book.closes == {
        RB05: DayClose(volume=3, open_interest=30),
        RB10: DayClose(volume=4, open_interest=40),
    }
    assert wire.mains.changed_books() == []
    wire.send(tick(RB05, NIGHT_A + dt.timedelta(seconds=1), volume=5, oi=31))
    [book] = wire.mains.changed_books()
    assert book.closes == {
        RB05: DayClose(volume=5, open_interest=31),
        RB10: DayClose(volume=4, open_interest=40),
    }


def test_a_book_completes_the_stored_book_of_the_same_day() -> None:
    w = Wire(load=False)
    try:
        stored = ProductCloses(
            exchange="SHFE",
            product="rb",
            trading_day=DAY_A,
            closes={
                RB05: DayClose(volume=1, open_interest=1),
                RB10: DayClose(volume=2, open_interest=2),
            },
        )
        w.mains.load({KEY: stored_main(RB05, DAY_A)}, {KEY: stored})
        w.send(tick(RB05, CLOSE_A, volume=7, oi=7))
        [book] = w.mains.changed_books()
        assert book.closes == {
            RB05: DayClose(volume=7, open_interest=7),
            RB10: DayClose(volume=2, open_interest=2),
        }
    finally:
        w.close()


def test_the_book_leaves_out_months_whose_last_tick_is_of_an_earlier_day(wire: Wire) -> None:
    wire.send(tick(RB05, NIGHT_A, oi=10), tick(RB10, NIGHT_A, oi=20))
    wire.send(tick(RB05, NIGHT_B, volume=3, oi=11))
    [book] = wire.mains.changed_books()
    assert (book.trading_day, book.closes) == (DAY_B, {RB05: DayClose(volume=3, open_interest=11)})


# --- properties --------------------------------------------------------------------------------

MONTHS = ["rb2601.SHFE", "rb2605.SHFE", "rb2610.SHFE"]
# Night 21:00-23:00 and day 09:00-15:00 of a few trading days, as minutes from NIGHT_A.
SLOTS = st.integers(min_value=0, max_value=4 * 24 * 60 - 1).filter(
    lambda m: (
        (NIGHT_A + dt.timedelta(minutes=m)).time() >= dt.time(21)
        or dt.time(9) <= (NIGHT_A + dt.timedelta(minutes=m)).time() < dt.time(15)
    )
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(SLOTS, st.sampled_from(MONTHS), st.integers(0, 1000)), min_size=1, max_size=60
    )
)
def test_every_alias_tick_follows_an_announcement_of_its_contract_and_one_decision_a_day(
    events: list[tuple[int, str, int]],
) -> None:
    w = Wire(first_look_s=0.0)
    try:
        sent: list[Tick] = []
        for minute, vt_symbol, oi in sorted(events, key=lambda e: e[0]):
            at = NIGHT_A + dt.timedelta(minutes=minute)
            t = tick(vt_symbol, at, volume=minute + 1, oi=oi)
            sent.append(t)
            w.send(t)
        frames = w.frames()
        announced: str | None = None
        days: list[dt.date] = []
        for k, (topic, payload) in enumerate(frames):
            if topic == ANNOUNCE:
                main = zeromq.decode_main_contract(payload)
                announced = main.vt_symbol
                days.append(main.trading_day)
            elif topic == TOPIC:
                # the copy of the tick just sent, of the contract last announced
                assert frames[k - 1][1] == payload
                assert zeromq.decode(payload).vt_symbol == announced
            elif zeromq.decode(payload).vt_symbol == announced:
                # every tick of the main goes out on the alias too, right after
                assert frames[k + 1] == (TOPIC, payload)
        assert days == sorted(set(days))  # at most one decision per trading day
        # Every trading day with a forwarded tick has its decision, from its first tick.
        book: dict[dt.date, dict[str, DayClose]] = {}
        for t in sent:
            closes = book.setdefault(trading_day(t.datetime), {})
            closes[t.vt_symbol] = DayClose(volume=t.volume, open_interest=t.open_interest)
        assert set(days) == set(book)
        # First from the first tick alone (no look), then at each roll from the last
        # tick of each month of the previous day that had ticks.
        first = sent[0]
        expected = [
            (
                {first.vt_symbol: DayClose(volume=first.volume, open_interest=first.open_interest)},
                trading_day(first.datetime),
            )
        ]
        expected += [(book[before], day) for before, day in itertools.pairwise(sorted(book))]
        calls = w.rule.calls  # type: ignore[attr-defined]
        assert [(closes, today) for _, closes, today in calls] == expected
    finally:
        w.close()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MONTHS), st.integers(0, 10**6)), min_size=1))
def test_the_book_is_the_last_tick_of_each_month(events: list[tuple[str, int]]) -> None:
    w = Wire()
    try:
        last: dict[str, DayClose] = {}
        for k, (vt_symbol, oi) in enumerate(events):
            w.send(tick(vt_symbol, NIGHT_A + dt.timedelta(seconds=k), volume=k + 1, oi=oi))
            last[vt_symbol] = DayClose(volume=k + 1, open_interest=oi)
        [book] = w.mains.changed_books()
        assert book.closes == last
        assert msgspec.json.decode(codec.encode(book), type=ProductCloses) == book
    finally:
        w.close()
