"""The ctp source's tick path, through the real vnpy_ctp ``onRtnDepthMarketData``.

The gateway is built with a real vnpy EventEngine and never connects; crafted
CThostFtdcDepthMarketDataField records go into the md api's callback exactly as
CTP's thread would hand them over, and the ticks come out of the EventEngine.
"""

from __future__ import annotations

import queue
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from vnpy.event import Event, EventEngine
from vnpy.trader.constant import Exchange, Product
from vnpy.trader.event import EVENT_TICK
from vnpy.trader.object import ContractData, SubscribeRequest, TickData
from vnpy_ctp.gateway import ctp_gateway

from tickhub_contracts.messages import Connection, CtpSettings, SourceConfig
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.base import EVENT_CONNECTION, FaultNotSupported
from tickhub_gateway.sources.ctp.gateway import CtpSourceGateway

DBL_MAX = sys.float_info.max
WAIT_S = 5.0


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def record(symbol: str, update_time: str, millisec: int = 0, **fields: Any) -> dict[str, Any]:
    """A CThostFtdcDepthMarketDataField as vnpy_ctp's C++ layer hands it to Python."""
    data: dict[str, Any] = {
        "TradingDay": "20261130",
        "reserve1": "",
        "ExchangeID": "",
        "reserve2": "",
        "LastPrice": 3500.0,
        "PreSettlementPrice": 3490.0,
        "PreClosePrice": 3488.0,
        "PreOpenInterest": 100000.0,
        "OpenPrice": 3495.0,
        "HighestPrice": 3510.0,
        "LowestPrice": 3480.0,
        "Volume": 1234,
        "Turnover": 43190000.0,
        "OpenInterest": 100500.0,
        "ClosePrice": DBL_MAX,
        "SettlementPrice": DBL_MAX,
        "UpperLimitPrice": 3800.0,
        "LowerLimitPrice": 3200.0,
        "PreDelta": 0.0,
        "CurrDelta": 0.0,
        "UpdateTime": update_time,
        "UpdateMillisec": millisec,
        "BidPrice1": 3499.0,
        "BidVolume1": 12,
        "AskPrice1": 3501.0,
        "AskVolume1": 7,
        "AveragePrice": 35000.0,
        "ActionDay": "20261130",
        "InstrumentID": symbol,
        "ExchangeInstID": "",
        "BandingUpperPrice": 0.0,
        "BandingLowerPrice": 0.0,
    }
    for level in range(2, 6):
        data[f"BidPrice{level}"] = DBL_MAX
        data[f"BidVolume{level}"] = 0
        data[f"AskPrice{level}"] = DBL_MAX
        data[f"AskVolume{level}"] = 0
    data.update(fields)
    return data


class Harness:
    """A never-connected CtpSourceGateway whose events land in queues."""

    def __init__(self, name: str = "ctp-a", fixed_now: datetime | None = None) -> None:
        # A short timer interval: stop() joins the timer thread, which sleeps that long
        # (vnpy annotates int, but only ever sleeps it).
        self.engine = EventEngine(interval=0.1)  # type: ignore[arg-type]
        self.ticks: queue.Queue[TickData] = queue.Queue()
        self.connections: queue.Queue[Connection] = queue.Queue()
        self.engine.register(EVENT_TICK, lambda event: self.ticks.put(event.data))
        self.engine.register(EVENT_CONNECTION, self._on_connection)
        config = SourceConfig(
            name=name,
            gateway_type="ctp",
            ctp=CtpSettings(md_fronts=["tcp://127.0.0.1:1"], broker_id="9999"),
        )
        self.gateway = CtpSourceGateway(self.engine, config)
        self.md = self.gateway.md_api
        self.now = fixed_now or datetime.now(CHINA_TZ)
        self.md.clock = lambda: self.now
        self.engine.start()

    def _on_connection(self, event: Event) -> None:
        self.connections.put(event.data)

    def subscribe(self, vt_symbol: str) -> None:
        symbol, exchange = vt_symbol.split(".")
        self.gateway.subscribe(SubscribeRequest(symbol=symbol, exchange=Exchange(exchange)))

    def feed(self, *records: dict[str, Any]) -> None:
        for data in records:
            self.md.onRtnDepthMarketData(data)

    def tick(self) -> TickData:
        return self.ticks.get(timeout=WAIT_S)

    def connection(self) -> Connection:
        return self.connections.get(timeout=WAIT_S)

    def login(self, **fields: Any) -> None:
        data = {
            "TradingDay": "20261125",
            "LoginTime": "",
            "BrokerID": "9999",
            "UserID": "",
            "SystemName": "",
            "FrontID": 1,
            "SessionID": 1,
            "MaxOrderRef": "",
            "SHFETime": "",
            "DCETime": "",
            "CZCETime": "",
            "FFEXTime": "",
            "INETime": "",
            "SysVersion": "",
            "GFEXTime": "",
            **fields,
        }
        self.md.onRspUserLogin(data, {"ErrorID": 0, "ErrorMsg": ""}, 1, True)

    def close(self) -> None:
        self.engine.stop()


@pytest.fixture
def make() -> Iterator[Any]:
    made: list[Harness] = []

    def factory(name: str = "ctp-a", now: datetime | None = None) -> Harness:
        harness = Harness(name, now)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.close()


def is_live(tick: TickData) -> bool:
    return not (tick.extra and tick.extra.get("live") is False)


# --- md-only: the exchange comes from the subscription -------------------------------


def test_md_only_source_delivers_ticks_for_contracts_vnpy_does_not_know(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    assert "rb2605" not in ctp_gateway.symbol_contract_map  # no trading front ran
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "10:00:00", 500))
    tick = h.tick()
    assert (tick.symbol, tick.exchange, tick.vt_symbol) == ("rb2605", Exchange.SHFE, "rb2605.SHFE")
    assert tick.name == "rb2605"  # unknown contract: named by its InstrumentID
    assert tick.datetime == at("2026-11-25T10:00:00.500")
    assert tick.gateway_name == "ctp-a"
    assert is_live(tick)


def test_vnpy_itself_drops_that_tick(make: Any) -> None:
    # The fault being fixed: vnpy's own md api, same record, no contract query -> nothing.
    h = make()
    vnpy_md = ctp_gateway.CtpMdApi(h.gateway)
    vnpy_md.onRtnDepthMarketData(record("rb2605", "10:00:00", 500, LastPrice=1.0))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", h.now.strftime("%H:%M:%S"), LastPrice=2.0))
    assert h.tick().last_price == 2.0  # the first tick out is ours: vnpy's never came
    assert h.ticks.empty()


def test_known_contract_gives_its_name(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = ContractData(
        symbol="rb2605",
        exchange=Exchange.SHFE,
        name="螺纹钢2605",
        product=Product.FUTURES,
        size=10,
        pricetick=1,
        gateway_name="ctp-a",
    )
    monkeypatch.setitem(ctp_gateway.symbol_contract_map, "rb2605", contract)
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "10:00:00", 500))
    assert h.tick().name == "螺纹钢2605"


def test_a_contract_not_subscribed_gives_no_tick(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("hc2605", "10:00:00", 0), record("rb2605", "10:00:00", 500))
    assert h.tick().symbol == "rb2605"
    assert h.md.dropped["not_subscribed"] == 1


def test_unsubscribed_contract_stops_giving_ticks(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    h.subscribe("au2602.SHFE")
    h.gateway.unsubscribe(SubscribeRequest(symbol="rb2605", exchange=Exchange.SHFE))
    h.feed(record("rb2605", "10:00:00", 0), record("au2602", "10:00:00", 500))
    assert h.tick().symbol == "au2602"
    assert h.md.dropped["not_subscribed"] == 1


# --- dates ---------------------------------------------------------------------------


def test_dce_friday_night_tick_with_monday_action_day_is_friday(make: Any) -> None:
    # 2026-11-27 is a Friday; DCE stamps its night session with the trading day, Monday.
    h = make(now=at("2026-11-27T21:30:00.900"))
    h.subscribe("m2605.DCE")
    h.feed(record("m2605", "21:30:00", 500, ActionDay="20261130", TradingDay="20261130"))
    tick = h.tick()
    assert tick.datetime == at("2026-11-27T21:30:00.500")
    assert tick.datetime.weekday() == 4
    assert is_live(tick)


def test_dce_tick_before_midnight_seen_after_midnight_is_friday(make: Any) -> None:
    h = make(now=at("2026-11-28T00:00:00.300"))
    h.subscribe("m2605.DCE")
    h.feed(record("m2605", "23:59:59", 800, ActionDay="20261130"))
    assert h.tick().datetime == at("2026-11-27T23:59:59.800")


def test_shfe_after_midnight_with_yesterdays_action_day_is_today(make: Any) -> None:
    # Some fronts keep the old ActionDay for a moment after midnight.
    h = make(now=at("2026-11-28T00:00:01.100"))
    h.subscribe("au2602.SHFE")
    h.feed(record("au2602", "00:00:01", 0, ActionDay="20261127"))
    assert h.tick().datetime == at("2026-11-28T00:00:01")


# --- CZCE: no milliseconds --------------------------------------------------------------


def test_czce_ticks_sharing_a_second_keep_the_exchanges_time(make: Any) -> None:
    """The publisher tells them apart, from the one stream clients get: a source
    cannot, since what it saw depends on what its front conflated."""
    h = make(now=at("2026-11-25T10:00:02.100"))
    h.subscribe("SR605.CZCE")
    h.feed(
        record("SR605", "10:00:01", Volume=1),
        record("SR605", "10:00:01", Volume=2),
        record("SR605", "10:00:02", Volume=4),
    )
    times = [h.tick().datetime for _ in range(3)]
    assert times == [at("2026-11-25T10:00:01")] * 2 + [at("2026-11-25T10:00:02")]


def test_two_sources_give_a_tick_the_same_time_whatever_their_fronts_conflated(
    make: Any,
) -> None:
    now = at("2026-11-25T10:00:03")
    a, b = make("ctp-a", now), make("ctp-b", now)
    first, second = record("SR605", "10:00:01", Volume=1), record("SR605", "10:00:01", Volume=2)
    for h in (a, b):
        h.subscribe("SR605.CZCE")
    a.feed(first, second)
    b.feed(second)  # b's front merged the two snapshots
    a_ticks = [a.tick(), a.tick()]
    b_tick = b.tick()
    assert (b_tick.datetime, b_tick.volume) == (a_ticks[1].datetime, a_ticks[1].volume)


def test_other_exchanges_keep_their_milliseconds(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:02"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "10:00:01", 0), record("rb2605", "10:00:01", 0))
    assert h.tick().datetime == h.tick().datetime == at("2026-11-25T10:00:01")


# --- prices ------------------------------------------------------------------------------


def test_dbl_max_prices_are_none_and_volumes_untouched(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    h.feed(
        record(
            "rb2605",
            "10:00:00",
            500,
            LastPrice=DBL_MAX,
            OpenPrice=DBL_MAX,
            HighestPrice=DBL_MAX,
            LowestPrice=DBL_MAX,
            PreClosePrice=DBL_MAX,
            UpperLimitPrice=DBL_MAX,
            LowerLimitPrice=DBL_MAX,
            BidPrice1=DBL_MAX,
            BidVolume1=0,
            AskPrice1=3501.0,
            AskVolume1=9,
            Volume=77,
            Turnover=0.0,
            OpenInterest=5.0,
        )
    )
    tick = h.tick()
    for field in (
        "last_price",
        "open_price",
        "high_price",
        "low_price",
        "pre_close",
        "limit_up",
        "limit_down",
        "bid_price_1",
    ):
        assert getattr(tick, field) is None, field
    assert tick.ask_price_1 == 3501.0
    assert (tick.volume, tick.turnover, tick.open_interest) == (77, 0.0, 5.0)
    assert (tick.bid_volume_1, tick.ask_volume_1) == (0, 9)
    # Level 1 only: deeper levels have no price rather than vnpy's 0.
    for level in range(2, 6):
        assert getattr(tick, f"bid_price_{level}") is None
        assert getattr(tick, f"ask_price_{level}") is None
        assert getattr(tick, f"bid_volume_{level}") == 0


def test_five_levels_are_filled_when_present(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    levels: dict[str, Any] = {}
    for level in range(2, 6):
        levels[f"BidPrice{level}"] = 3499.0 - level
        levels[f"AskPrice{level}"] = 3501.0 + level
        levels[f"BidVolume{level}"] = 10 * level
        levels[f"AskVolume{level}"] = 20 * level
    levels["AskPrice5"] = DBL_MAX  # an empty level inside a deep book
    levels["AskVolume5"] = 0
    h.feed(record("rb2605", "10:00:00", 500, **levels))
    tick = h.tick()
    assert [tick.bid_price_2, tick.bid_price_3, tick.bid_price_4, tick.bid_price_5] == [
        3497.0,
        3496.0,
        3495.0,
        3494.0,
    ]
    assert [tick.ask_price_2, tick.ask_price_3, tick.ask_price_4, tick.ask_price_5] == [
        3503.0,
        3504.0,
        3505.0,
        None,
    ]
    assert [tick.bid_volume_2, tick.ask_volume_4, tick.ask_volume_5] == [20, 80, 0]
    assert (tick.limit_up, tick.limit_down, tick.pre_close) == (3800.0, 3200.0, 3488.0)
    assert tick.localtime is not None and tick.localtime.tzinfo is not None


# --- no tick ------------------------------------------------------------------------------


@pytest.mark.parametrize("update_time", ["", "9:0:0", "xx:yy:zz"])
def test_record_without_a_usable_update_time_is_no_tick(make: Any, update_time: str) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", update_time), record("rb2605", "10:00:00", 500))
    assert h.tick().datetime == at("2026-11-25T10:00:00.500")
    assert h.ticks.empty()
    assert sum(h.md.dropped.values()) == 1
    assert h.md.dropped["no_time" if not update_time else "bad_time"] == 1


def test_malformed_record_is_dropped_without_breaking_the_feed(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    broken = record("rb2605", "10:00:00", 0)
    del broken["LastPrice"]
    h.feed(broken, record("rb2605", "10:00:00", 500))
    assert h.tick().datetime == at("2026-11-25T10:00:00.500")
    assert h.md.dropped["error"] == 1


# --- stale: login replay, outside the session -------------------------------------------


def test_snapshot_replayed_at_login_is_not_live_and_the_next_tick_is(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:05.300"))
    h.subscribe("rb2605.SHFE")
    h.login(SHFETime="10:00:05")
    connected = h.connection()
    assert connected.state == "connected"
    assert "20261125" in connected.message
    h.feed(record("rb2605", "10:00:04", 500), record("rb2605", "10:00:05", 500))
    replay, fresh = h.tick(), h.tick()
    assert not is_live(replay)
    assert replay.extra == {"live": False, "in_session": True}
    assert is_live(fresh) and fresh.extra is None


def test_replay_is_judged_again_after_every_login(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:05.300"))
    h.subscribe("rb2605.SHFE")
    h.login()
    h.feed(record("rb2605", "10:00:05", 0), record("rb2605", "10:00:05", 500))
    assert [is_live(h.tick()), is_live(h.tick())] == [False, True]
    h.md.onFrontDisconnected(0x1001)
    h.now = at("2026-11-25T10:01:00.200")
    h.login()
    h.feed(record("rb2605", "10:00:59", 500), record("rb2605", "10:01:00", 0))
    assert [is_live(h.tick()), is_live(h.tick())] == [False, True]


def test_first_tick_after_login_newer_than_login_is_live(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:05.300"))
    h.subscribe("rb2605.SHFE")
    h.login(SHFETime="10:00:05")
    h.feed(record("rb2605", "10:00:05", 500))
    assert is_live(h.tick())


def test_snapshot_on_a_later_subscription_is_not_live(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:05.300"))
    h.login()
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "10:00:05", 0), record("rb2605", "10:00:05", 500))
    assert [is_live(h.tick()), is_live(h.tick())] == [False, True]


def test_snapshot_outside_the_session_is_not_live_and_in_the_past(make: Any) -> None:
    # Before the day session: the front still has yesterday's 15:00 close.
    h = make(now=at("2026-11-25T08:55:00"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "15:00:00", 0, ActionDay="20261124", TradingDay="20261124"))
    tick = h.tick()
    assert not is_live(tick)
    assert tick.datetime == at("2026-11-24T15:00:00")
    assert tick.datetime < h.now


def test_tick_near_the_clock_is_live(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:30"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "10:00:00", 0))  # 30 s late: the worker's stale_tick_s decides
    assert is_live(h.tick())


# --- connection states and faults -------------------------------------------------------


def test_front_disconnect_reports_ctps_code_and_words(make: Any) -> None:
    h = make()
    h.md.onFrontDisconnected(0x2001)
    conn = h.connection()
    assert (conn.source, conn.state, conn.reason_code) == ("ctp-a", "disconnected", 8193)
    assert "heartbeat" in conn.message and "0x2001" in conn.message


def test_rejected_login_reports_login_failed_with_error_id(make: Any) -> None:
    h = make()
    h.md.onRspUserLogin({}, {"ErrorID": 3, "ErrorMsg": "CTP:不合法的登录"}, 1, True)
    conn = h.connection()
    assert (conn.state, conn.reason_code) == ("login_failed", 3)
    assert "不合法的登录" in conn.message


def test_an_unanswered_login_is_a_transient_login_failure(make: Any) -> None:
    h = make()
    h.md.front_connected = True
    h.gateway.transition("connecting", message="md front connected; logging in")
    assert h.connection().state == "connecting"
    h.gateway._watchdog_fired(h.gateway._generation)  # the connect timeout, now
    conn = h.connection()
    assert (conn.state, conn.reason_code) == ("login_failed", 0x3002)
    assert "did not answer the login" in conn.message


def test_no_front_answering_is_a_disconnect(make: Any) -> None:
    h = make()
    h.gateway.transition("connecting")
    assert h.connection().state == "connecting"
    h.gateway._watchdog_fired(h.gateway._generation)
    conn = h.connection()
    assert (conn.state, conn.reason_code) == ("disconnected", 0x3001)
    assert "no md front answered" in conn.message


def test_front_connected_is_still_connecting(make: Any) -> None:
    h = make()
    h.gateway.transition("connecting", message="test")
    assert h.connection().state == "connecting"


@pytest.mark.parametrize("kind", ["stall", "resume", "disconnect"])
def test_ctp_cannot_inject_faults(make: Any, kind: Any) -> None:
    with pytest.raises(FaultNotSupported):
        make().gateway.inject_fault(kind)


def test_subscribing_an_exchange_ctp_does_not_have_is_an_error(make: Any) -> None:
    with pytest.raises(ValueError, match="CTP has no exchange 'SSE'"):
        make().gateway.subscribe(SubscribeRequest(symbol="600000", exchange=Exchange.SSE))


@pytest.mark.parametrize(
    ("ctp", "match"),
    [
        (None, "needs a 'ctp' section"),
        (CtpSettings(), "md_fronts lists no front"),
        (CtpSettings(md_fronts=["  "]), "must not be empty"),
        (CtpSettings(md_fronts=["tcp://127.0.0.1:1"], connect_timeout_s=0), "connect_timeout_s"),
    ],
)
def test_bad_config_is_a_clear_error(ctp: CtpSettings | None, match: str) -> None:
    config = SourceConfig(name="ctp-x", gateway_type="ctp", ctp=ctp)
    with pytest.raises(ValueError, match=match):
        CtpSourceGateway(EventEngine(), config)


def test_front_addresses_get_tcp_unless_they_name_a_scheme() -> None:
    config = SourceConfig(
        name="ctp-x",
        gateway_type="ctp",
        ctp=CtpSettings(md_fronts=["127.0.0.1:1", "ssl://127.0.0.1:2"], td_front=" "),
    )
    gateway = CtpSourceGateway(EventEngine(), config)
    assert gateway.md_fronts == ["tcp://127.0.0.1:1", "ssl://127.0.0.1:2"]
    assert gateway.td_front == ""


def test_time_far_in_the_future_is_pushed_back(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "10:05:00", 0))  # ActionDay 20261130: no use, it is ahead
    tick = h.tick()
    assert tick.datetime == at("2026-11-24T10:05:00")
    assert tick.datetime - h.now < timedelta(0)
    assert not is_live(tick)


# --- a replay far from the clock keeps its real date -------------------------------------


def test_a_replay_from_days_ago_keeps_the_date_of_its_action_day(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "14:59:59", 500, ActionDay="20261120", TradingDay="20261120"))
    tick = h.tick()
    assert tick.datetime == at("2026-11-20T14:59:59.500")
    assert not is_live(tick)


def test_a_dce_night_replay_is_dated_the_evening_before_its_trading_day(make: Any) -> None:
    # Monday morning, the front replays Friday night's last tick: DCE wrote Monday.
    h = make(now=at("2026-11-30T08:50:00"))
    h.subscribe("m2605.DCE")
    h.feed(record("m2605", "22:59:59", 500, ActionDay="20261130", TradingDay="20261130"))
    assert h.tick().datetime == at("2026-11-27T22:59:59.500")


# --- sessions and empty book levels -------------------------------------------------------


def is_in_session(tick: TickData) -> bool:
    return not (tick.extra and tick.extra.get("in_session") is False)


def test_a_settlement_resend_after_the_close_is_not_in_session(make: Any) -> None:
    h = make(now=at("2026-11-25T15:20:00.300"))
    h.subscribe("rb2605.SHFE")
    h.feed(record("rb2605", "15:20:00", 0, ActionDay="20261125", TradingDay="20261125"))
    tick = h.tick()
    assert is_live(tick)  # near the clock: not a replay ...
    assert not is_in_session(tick)  # ... but no session runs at 15:20
    assert tick.extra == {"live": True, "in_session": False}


def test_the_opening_auction_and_the_closing_tick_are_in_session(make: Any) -> None:
    for now, clock in (("2026-11-25T20:59:00.200", "20:59:00"),
                       ("2026-11-25T15:00:00.600", "15:00:00")):  # fmt: skip
        h = make(now=at(now))
        h.subscribe("rb2605.SHFE")
        h.feed(record("rb2605", clock, 0, ActionDay="20261125"))
        tick = h.tick()
        assert is_live(tick) and is_in_session(tick), clock


def test_an_empty_book_level_sent_as_zero_is_no_price(make: Any) -> None:
    h = make(now=at("2026-11-25T10:00:00.700"))
    h.subscribe("rb2605.SHFE")
    h.feed(
        record(
            "rb2605", "10:00:00", 500, AskPrice1=0.0, AskVolume1=0, BidPrice2=3498.0,
            BidVolume2=4, AskPrice2=0.0, AskVolume2=0, BidPrice3=0.0, BidVolume3=0,
        )
    )  # fmt: skip
    tick = h.tick()
    assert (tick.bid_price_1, tick.ask_price_1) == (3499.0, None)
    assert (tick.bid_price_2, tick.ask_price_2, tick.bid_price_3) == (3498.0, None, None)
    assert (tick.ask_volume_1, tick.ask_volume_2) == (0, 0)
