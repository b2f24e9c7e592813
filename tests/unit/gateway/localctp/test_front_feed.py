"""The local front's records: the sim's ticks mapped with each exchange's habits, the
trading day, and recorded tick files (parsing, timing, restamping)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import msgspec
import pytest

from tickhub_cli import main
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.localctp.front import cli as front_cli
from tickhub_gateway.localctp.front import days
from tickhub_gateway.localctp.front.feed import (
    SLOT_NS,
    SimMarket,
    SimRecordFeed,
    depth_record,
)
from tickhub_gateway.localctp.front.replay import (
    ReplayError,
    ReplayFeed,
    ReplayRecord,
    from_ns,
    load,
    parse,
    restamped,
    schedule,
    to_ns,
)
from tickhub_gateway.localctp.front.server import make_feed
from tickhub_gateway.localctp.front.settings import FrontSettings, parse_start_at
from tickhub_gateway.localctp.protocol import DBL_MAX, DepthMarketData
from tickhub_gateway.sources.sim.feed import SimFeed

SAMPLE = Path(__file__).parents[4] / "examples" / "ctp-replay-sample.csv"
CONTRACTS = ["rb2605.SHFE", "m2605.DCE", "SR605.CZCE"]
NS = 1_000_000_000


def china(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=CHINA_TZ)


def slot_at(at: datetime) -> int:
    return to_ns(at) // SLOT_NS


# Tuesday 2026-03-10 10:00:00.500, China time.
TUESDAY_SLOT = slot_at(china(2026, 3, 10, 10, 0, 0, 500_000))


# --- the trading day ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (china(2026, 3, 9, 10, 0), date(2026, 3, 9)),  # Monday day session
        (china(2026, 3, 9, 16, 59, 59), date(2026, 3, 9)),
        (china(2026, 3, 9, 17, 0), date(2026, 3, 10)),  # Monday evening -> Tuesday
        (china(2026, 3, 10, 0, 30), date(2026, 3, 10)),  # after midnight: that day
        (china(2026, 3, 13, 14, 0), date(2026, 3, 13)),  # Friday day session
        (china(2026, 3, 13, 21, 0), date(2026, 3, 16)),  # Friday night -> Monday
        (china(2026, 3, 14, 0, 30), date(2026, 3, 16)),  # Saturday -> Monday
        (china(2026, 3, 15, 23, 0), date(2026, 3, 16)),  # Sunday -> Monday
    ],
)
def test_the_trading_day_of_a_moment(at, expected):
    assert days.trading_day(at) == expected


def test_a_calendar_day_from_a_trading_day_and_a_clock():
    monday = date(2026, 3, 16)
    assert days.calendar_day_of(monday, china(2026, 1, 1, 21).time()) == date(2026, 3, 13)
    assert days.calendar_day_of(monday, china(2026, 1, 1, 1).time()) == date(2026, 3, 14)
    assert days.calendar_day_of(monday, china(2026, 1, 1, 9).time()) == monday
    tuesday = date(2026, 3, 17)
    assert days.calendar_day_of(tuesday, china(2026, 1, 1, 21).time()) == monday
    assert days.calendar_day_of(tuesday, china(2026, 1, 1, 2, 30).time()) == tuesday


# --- the sim's records ---------------------------------------------------------------


def test_a_dce_record_exactly_level_one_only_unset_prices_dbl_max():
    record = SimMarket(CONTRACTS).record("m2605", TUESDAY_SLOT)
    assert record == DepthMarketData(
        TradingDay="20260310",
        ExchangeID="DCE",
        LastPrice=3070.0,
        PreSettlementPrice=3043.0,
        PreClosePrice=3043.0,
        PreOpenInterest=1505265.0,
        OpenPrice=3037.0,
        HighestPrice=3079.0,
        LowestPrice=3024.0,
        Volume=1836019,
        Turnover=55723176650.0,
        OpenInterest=1513505.0,
        ClosePrice=DBL_MAX,
        SettlementPrice=DBL_MAX,
        UpperLimitPrice=3256.0,
        LowerLimitPrice=2830.0,
        PreDelta=DBL_MAX,
        CurrDelta=DBL_MAX,
        UpdateTime="10:00:00",
        UpdateMillisec=500,
        BidPrice1=3070.0,
        BidVolume1=196,
        AskPrice1=3071.0,
        AskVolume1=322,
        BidPrice2=DBL_MAX,
        BidVolume2=0,
        AskPrice2=DBL_MAX,
        AskVolume2=0,
        BidPrice3=DBL_MAX,
        BidVolume3=0,
        AskPrice3=DBL_MAX,
        AskVolume3=0,
        BidPrice4=DBL_MAX,
        BidVolume4=0,
        AskPrice4=DBL_MAX,
        AskVolume4=0,
        BidPrice5=DBL_MAX,
        BidVolume5=0,
        AskPrice5=DBL_MAX,
        AskVolume5=0,
        AveragePrice=30350.0,  # Turnover / Volume: the multiplier (10) included
        ActionDay="20260310",
        InstrumentID="m2605",
        ExchangeInstID="m2605",
        BandingUpperPrice=DBL_MAX,
        BandingLowerPrice=DBL_MAX,
    )


def test_shfe_sends_five_levels_taken_from_the_sims_tick():
    record = SimMarket(CONTRACTS).record("rb2605", TUESDAY_SLOT)
    tick = SimFeed("rb2605.SHFE", 0, 2.0).tick(TUESDAY_SLOT)
    assert (record.BidPrice1, record.BidPrice5, record.AskPrice5) == (3494.0, 3490.0, 3499.0)
    assert (record.BidVolume5, record.AskVolume5) == (490, 370)
    for level in range(1, 6):
        for side in ("Bid", "Ask"):
            attr = side.lower()
            price, volume = f"{attr}_price_{level}", f"{attr}_volume_{level}"
            assert getattr(record, f"{side}Price{level}") == getattr(tick, price)
            assert getattr(record, f"{side}Volume{level}") == getattr(tick, volume)
    assert record.LastPrice == tick.last_price == 3495.0
    assert record.Volume == int(tick.volume) == 2448022
    assert record.Turnover == tick.turnover
    assert record.OpenInterest == tick.open_interest
    assert (record.UpperLimitPrice, record.LowerLimitPrice) == (tick.limit_up, tick.limit_down)
    assert (record.UpdateTime, record.UpdateMillisec) == ("10:00:00", 500)


def test_czce_sends_no_milliseconds_and_a_plain_average_price():
    market = SimMarket(CONTRACTS)
    whole = market.record("SR605", TUESDAY_SLOT - 1)
    half = market.record("SR605", TUESDAY_SLOT)
    assert (whole.UpdateTime, whole.UpdateMillisec) == ("10:00:00", 0)
    assert (half.UpdateTime, half.UpdateMillisec) == ("10:00:00", 0)  # two records, one second
    assert whole != half
    assert half.AveragePrice == 5764.0 == half.Turnover / half.Volume / 10  # SR: 10 t a lot
    assert half.BidPrice2 == DBL_MAX and half.AskVolume5 == 0


def test_dce_night_records_carry_the_trading_day_as_action_day():
    market = SimMarket(CONTRACTS)
    friday_night = slot_at(china(2026, 3, 13, 21, 30))
    saturday_morning = slot_at(china(2026, 3, 14, 0, 30, 0, 500_000))
    dce = market.record("m2605", friday_night)
    assert (dce.TradingDay, dce.ActionDay, dce.UpdateTime) == ("20260316", "20260316", "21:30:00")
    dce = market.record("m2605", saturday_morning)
    assert (dce.TradingDay, dce.ActionDay, dce.UpdateTime) == ("20260316", "20260316", "00:30:00")
    shfe = market.record("rb2605", friday_night)
    assert (shfe.TradingDay, shfe.ActionDay) == ("20260316", "20260313")
    shfe = market.record("rb2605", saturday_morning)
    assert (shfe.TradingDay, shfe.ActionDay) == ("20260316", "20260314")
    evening = market.record("m2605", slot_at(china(2026, 3, 13, 18, 0)))  # before 20:00
    assert (evening.TradingDay, evening.ActionDay) == ("20260316", "20260313")


def test_a_price_the_tick_lacks_is_dbl_max():
    tick = SimFeed("IF2512.CFFEX", 0, 2.0).tick(TUESDAY_SLOT)
    tick = dataclasses.replace(tick, last_price=None, bid_price_1=None)  # type: ignore[arg-type]
    record = depth_record(tick, pre_open_interest=1.0, multiplier=300)
    assert record.LastPrice == DBL_MAX and record.BidPrice1 == DBL_MAX
    assert record.ExchangeID == "CFFEX" and record.BidPrice2 == DBL_MAX


def test_two_markets_with_the_same_seed_give_identical_records():
    slots = range(TUESDAY_SLOT, TUESDAY_SLOT + 40)
    a = SimMarket(CONTRACTS, seed=7)
    b = SimMarket(list(reversed(CONTRACTS)), seed=7)
    b.record("m2605", TUESDAY_SLOT + 1000)  # a different history changes nothing
    for instrument in ("rb2605", "m2605", "SR605"):
        assert [a.record(instrument, s) for s in slots] == [b.record(instrument, s) for s in slots]
    other = SimMarket(CONTRACTS, seed=8)
    assert other.record("rb2605", TUESDAY_SLOT) != a.record("rb2605", TUESDAY_SLOT)


class Clock:
    def __init__(self, ns: int) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns


async def test_the_sim_feed_gives_each_due_slot_once_and_snapshots_the_last_one():
    clock = Clock(TUESDAY_SLOT * SLOT_NS + 1_000_000)
    market = SimMarket(CONTRACTS)
    feed = SimRecordFeed(market, clock)
    assert feed.snapshot("rb2605") == market.record("rb2605", TUESDAY_SLOT)
    assert feed.snapshot("zz9999") is None and not feed.knows("zz9999")
    clock.ns += 2 * SLOT_NS  # two slots came due
    bursts = feed.bursts()
    first = await anext(bursts)
    assert first.records(["zz9999", "rb2605"]) == [market.record("rb2605", TUESDAY_SLOT + 1)]
    second = await anext(bursts)
    assert second.records(["SR605"]) == [market.record("SR605", TUESDAY_SLOT + 2)]
    assert feed.snapshot("SR605") == market.record("SR605", TUESDAY_SLOT + 2)
    clock.ns += 60 * NS  # a stopped process: skip ahead, no stale burst
    third = await anext(bursts)
    last = slot_at(from_ns(clock.ns))
    assert third.records(["rb2605"]) == [market.record("rb2605", last - 3)]
    assert feed.slots_skipped == last - 3 - (TUESDAY_SLOT + 3)
    await bursts.aclose()


# --- recorded tick files -----------------------------------------------------------


def lines(*rows: str) -> list[str]:
    return [row + "\n" for row in rows]


def test_the_sample_file_loads_in_time_order():
    rows = load(SAMPLE)
    assert len(rows) == 36
    assert {r.record.InstrumentID for r in rows} == {"rb2605", "m2605", "SR605"}
    assert {r.exchange for r in rows} == {"SHFE", "DCE", "CZCE"}
    assert [r.at for r in rows] == sorted(r.at for r in rows)
    assert rows[0].at == china(2026, 3, 10, 9, 0)
    first = rows[0].record
    assert (first.InstrumentID, first.LastPrice, first.Volume) == ("rb2605", 3511.0, 18262)
    assert first.ClosePrice == DBL_MAX and first.BidVolume2 == 0 and first.BidPrice2 == DBL_MAX
    assert {r.record.UpdateMillisec for r in rows if r.exchange == "CZCE"} == {0}


def test_absent_members_are_what_a_front_sends_for_nothing():
    rows = parse(
        lines("InstrumentID,UpdateTime,ActionDay,Volume,LastPrice", "rb2605,09:00:01,20260310,,"),
        {"rb2605": "SHFE"},
    )
    record = rows[0].record
    assert record.LastPrice == DBL_MAX and record.AskPrice1 == DBL_MAX
    assert record.Volume == 0 and record.Turnover == 0.0 and record.OpenInterest == 0.0
    assert record.ExchangeID == "SHFE"  # from the contracts
    assert record.TradingDay == "20260310" and record.UpdateMillisec == 0


def test_dates_dce_night_action_day_is_the_trading_day_trading_day_alone_places_the_evening():
    rows = parse(
        lines(
            "# comment",
            "",
            "InstrumentID,ExchangeID,UpdateTime,UpdateMillisec,ActionDay,TradingDay,Volume",
            "m2605,DCE,21:00:00,500,20260316,20260316,12.0",
            "rb2605,SHFE,21:00:01,0,,20260316,3",
            "rb2605,SHFE,01:00:00,0,,20260316,4",
            "SR605,CZCE,09:00:00,0,20260316,,5",
        )
    )
    assert [(r.record.InstrumentID, r.at) for r in rows] == [
        ("m2605", china(2026, 3, 13, 21, 0, 0, 500_000)),
        ("rb2605", china(2026, 3, 13, 21, 0, 1)),
        ("rb2605", china(2026, 3, 14, 1, 0)),
        ("SR605", china(2026, 3, 16, 9, 0)),
    ]
    assert rows[0].record.Volume == 12
    assert rows[1].record.ActionDay == "20260313"  # filled in: the calendar day
    assert rows[3].record.TradingDay == "20260316"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (["InstrumentID,UpdateTime,ActionDay,Bogus"], "not CThostFtdcDepthMarketDataField"),
        (["UpdateTime,ActionDay", "09:00:00,20260310"], "no InstrumentID"),
        (["InstrumentID,UpdateTime", "rb2605,09:00:00"], "neither ActionDay nor TradingDay"),
        (["InstrumentID,UpdateTime,ActionDay", "rb2605,09:00:00"], "2 cells under 3"),
        (["InstrumentID,UpdateTime,ActionDay,Volume", "rb2605,09:00:00,20260310,x"], ":2:"),
        (["InstrumentID,UpdateTime,ActionDay", "rb2605,9 am,20260310"], "9 am"),
        (["InstrumentID,UpdateTime,ActionDay", ",09:00:00,20260310"], "InstrumentID is empty"),
        (["InstrumentID,UpdateTime,ActionDay"], "no records"),
        (["# only a comment"], "no header"),
    ],
)
def test_a_bad_file_is_one_error_naming_the_line(text, message):
    with pytest.raises(ReplayError, match=message):
        parse(lines(*text), name="day.csv")


def test_a_missing_file_is_a_replay_error(tmp_path):
    with pytest.raises(ReplayError, match="No such file"):
        load(tmp_path / "absent.csv")


def test_the_schedule_keeps_the_spacing_scaled_by_the_speed():
    rows = parse(
        lines(
            "InstrumentID,UpdateTime,UpdateMillisec,ActionDay",
            "a,09:00:00,500,20260310",
            "a,09:00:01,0,20260310",
            "a,09:00:03,0,20260310",
        )
    )
    start = 1_000 * NS
    assert [t - start for t, _ in schedule(rows, start, 1.0)] == [NS // 2, NS, 3 * NS]
    assert [t - start for t, _ in schedule(rows, start, 2.0)] == [NS // 4, NS // 2, 3 * NS // 2]
    assert [t - start for t, _ in schedule(rows, start, 0.5)] == [NS, 2 * NS, 6 * NS]


def test_restamping_rewrites_the_times_with_the_exchanges_habits():
    rows = parse(
        lines(
            "InstrumentID,ExchangeID,UpdateTime,UpdateMillisec,ActionDay,LastPrice",
            "SR605,CZCE,09:00:00,0,20260310,5618",
            "m2605,DCE,09:00:00,500,20260310,2987",
        )
    )
    friday_night = china(2026, 3, 13, 21, 15, 7, 500_000)
    czce = restamped(rows[0], friday_night)
    assert (czce.UpdateTime, czce.UpdateMillisec) == ("21:15:07", 0)
    assert (czce.TradingDay, czce.ActionDay, czce.LastPrice) == ("20260316", "20260313", 5618.0)
    dce = restamped(rows[1], friday_night)
    assert (dce.UpdateTime, dce.UpdateMillisec) == ("21:15:07", 500)
    assert (dce.TradingDay, dce.ActionDay) == ("20260316", "20260316")


def _clock(first: int, then: int) -> Iterator[int]:
    return itertools.chain([first], itertools.repeat(then))


async def test_a_replay_restamps_to_the_sending_moment_in_bursts_and_then_ends():
    rows = load(SAMPLE)
    start = to_ns(china(2026, 12, 1, 14, 0, 0))  # a Tuesday afternoon
    times = _clock(start - NS // 3, start + 86_400 * NS)  # later calls: everything is due
    feed = ReplayFeed(rows, speed=2.0, name="sample", clock=lambda: next(times))
    assert feed.snapshot("rb2605") is None
    got = [record async for burst in feed.bursts() for record in burst.records(["rb2605"])]
    assert feed.finished and feed.records_given == 36
    recorded = [r.record for r in rows if r.record.InstrumentID == "rb2605"]
    assert [msgspec.structs.replace(r, UpdateTime="", UpdateMillisec=0) for r in got] == [
        msgspec.structs.replace(r, UpdateTime="", UpdateMillisec=0, TradingDay="20261201",
                                ActionDay="20261201")
        for r in recorded
    ]  # fmt: skip
    # 500 ms apart as recorded, 250 ms at speed 2, from the next whole second
    assert [(r.UpdateTime, r.UpdateMillisec) for r in got[:5]] == [
        ("14:00:00", 0),
        ("14:00:00", 250),
        ("14:00:00", 500),
        ("14:00:00", 750),
        ("14:00:01", 0),
    ]
    assert feed.snapshot("rb2605") == got[-1]


async def test_a_replay_without_restamp_sends_the_recorded_records():
    rows = load(SAMPLE)
    times = _clock(0, 10**20)
    feed = ReplayFeed(rows, restamp=False, clock=lambda: next(times))
    bursts = [burst async for burst in feed.bursts()]
    assert len(bursts) == 12  # three contracts per 500 ms, one burst each
    everything = ["rb2605", "m2605", "SR605"]
    assert [r for b in bursts for r in b.records(everything)] == [r.record for r in rows]
    assert bursts[0].records(["m2605"]) == [rows[1].record]


class SleepyClock:
    """A clock that the feed's sleeps move on, each sleep written down."""

    def __init__(self, ns: int) -> None:
        self.ns = ns
        self.waits: list[float] = []

    def __call__(self) -> int:
        return self.ns

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.ns += round(seconds * NS)


async def _replayed(
    rows: list[ReplayRecord],
    start: int,
    clock: SleepyClock,
    monkeypatch: pytest.MonkeyPatch,
    delay_ms: float = 0.0,
) -> list[DepthMarketData]:
    feed = ReplayFeed(rows, start_ns=start, delay_ms=delay_ms, name="sample", clock=clock)
    with monkeypatch.context() as patched:
        patched.setattr(asyncio, "sleep", clock.sleep)
        got = [record async for burst in feed.bursts() for record in burst.records(["rb2605"])]
    assert feed.finished
    return got


async def test_a_replay_given_a_start_runs_from_it_and_two_fronts_agree_on_every_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = load(SAMPLE)  # a record every 500 ms for 6 s
    start = to_ns(china(2026, 12, 1, 14, 0, 0))  # a Tuesday afternoon
    early = SleepyClock(start - 2 * NS - NS // 5)  # 2.2 s before: waits for it, not rounded
    late = SleepyClock(start + NS + NS // 5)  # 1.2 s after
    first = await _replayed(rows, start, early, monkeypatch)
    second = await _replayed(rows, start, late, monkeypatch)
    assert early.waits == pytest.approx([2.2] + [0.5] * 11)
    # Late: what was due (0, 0.5, 1 s) at once, back to back, then the schedule.
    assert late.waits == pytest.approx([0.0, 0.0, 0.0, 0.3] + [0.5] * 8)
    # Both on one schedule: the same records, restamped alike, from the given start.
    assert first == second
    assert [(r.UpdateTime, r.UpdateMillisec) for r in first[:3]] == [
        ("14:00:00", 0),
        ("14:00:00", 500),
        ("14:00:01", 0),
    ]
    assert (first[-1].UpdateTime, first[-1].UpdateMillisec) == ("14:00:05", 500)
    assert first[0].LastPrice == rows[0].record.LastPrice
    # A front farther away: the same records, each 20 ms later.
    far = SleepyClock(start - 2 * NS - NS // 5)
    assert await _replayed(rows, start, far, monkeypatch, delay_ms=20) == first
    assert far.waits == pytest.approx([2.22] + [0.5] * 11)


def test_the_schedule_from_a_start_at_a_fraction_keeps_the_fraction():
    rows = parse(lines("InstrumentID,UpdateTime,UpdateMillisec,ActionDay",
                       "a,09:00:00,500,20260310", "a,09:00:02,0,20260310"))  # fmt: skip
    start = 1_000 * NS + NS // 4
    assert [t - start for t, _ in schedule(rows, start, 0.5)] == [NS, 4 * NS]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1796104800", 1796104800 * NS),
        (" 1796104800.25 ", 1796104800 * NS + NS // 4),
        ("2026-12-01T14:00:00+08:00", to_ns(china(2026, 12, 1, 14))),
        ("2026-12-01T14:00:00", to_ns(china(2026, 12, 1, 14))),  # China time
        ("2026-12-01T06:00:00.5Z", to_ns(china(2026, 12, 1, 14, 0, 0, 500_000))),
    ],
)
def test_a_start_is_seconds_since_the_epoch_or_an_iso_datetime(text, expected):
    assert parse_start_at(text) == expected


@pytest.mark.parametrize("text", ["soon", "", "nan", "inf", "-1", "1969-12-31T00:00:00Z"])
def test_a_start_that_is_no_moment_is_refused(text):
    with pytest.raises(ValueError, match="start"):
        parse_start_at(text)


def test_the_command_line_start_reaches_the_replay():
    args = main.build_parser().parse_args(
        ["ctp-front", "--replay", str(SAMPLE), "--speed", "0.5",
         "--start-at", "2026-12-01T14:00:00", "--contracts", "rb2605.SHFE"]
    )  # fmt: skip
    settings = front_cli.front_settings(
        host=args.host, port=args.port, control_port=args.control_port, broker=args.broker,
        user=args.user, password=args.password, replay=args.replay, speed=args.speed,
        restamp=args.restamp, start_at=args.start_at, seed=args.seed, delay_ms=args.delay_ms,
        contracts=args.contracts, heartbeat_s=args.heartbeat_s, timeout_s=args.timeout_s,
        sim_contracts=[], canary="rb2605.SHFE", environ={},
    )  # fmt: skip
    assert settings.start_at_ns == to_ns(china(2026, 12, 1, 14))
    feed = make_feed(settings)
    assert isinstance(feed, ReplayFeed) and feed.start_ns == settings.start_at_ns
    assert "starting 2026-12-01T14:00:00+08:00" in feed.describe()
    assert main.build_parser().parse_args(["ctp-front"]).start_at is None


def test_settings_refuse_what_cannot_work():
    assert FrontSettings().instruments == {
        "rb2605": "SHFE",
        "au2602": "SHFE",
        "m2605": "DCE",
        "SR605": "CZCE",
        "IF2512": "CFFEX",
    }
    assert FrontSettings().resolved_control_port == 41215
    assert FrontSettings(port=0).resolved_control_port == 0
    assert "s3cret" not in repr(FrontSettings(password="s3cret"))
    for bad in (
        {"contracts": ("rb2605",)},
        {"contracts": ("rb2605.NYSE",)},
        {"contracts": ("rb2605.SHFE", "rb2605.DCE")},
        {"heartbeat_s": 0},
        {"timeout_s": 1},
        {"speed": 0.0},
        {"port": 70000},
        {"port": 41205, "control_port": 41205},
        {"user_id": ""},
        {"start_at_ns": NS},  # a start without a replay
        {"replay": SAMPLE, "start_at_ns": -1},
    ):
        with pytest.raises(ValueError):
            FrontSettings(**bad)
