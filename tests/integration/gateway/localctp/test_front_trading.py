"""``tickhub ctp-front``'s trading side and subscription limits over real sockets: the
trading library's authentication, login and instrument query, the trading day on
command, a catalog file instead of the sim market, a subscription flood dropped and
the whole market subscribed."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path

import pytest

from tests.integration.gateway.localctp.conftest import (
    SETTINGS,
    TIMEOUT,
    Connect,
    FrontClient,
    StartFront,
)
from tickhub_contracts.messages import Instrument
from tickhub_gateway.localctp import protocol
from tickhub_gateway.localctp.front import control, days
from tickhub_gateway.localctp.front.instruments import (
    instrument_field,
)
from tickhub_gateway.localctp.front.server import FrontServer
from tickhub_gateway.localctp.protocol import InstrumentField, Message, to_struct
from tickhub_gateway.sources.sim import listings
from tickhub_universe.catalog import write_catalog_csv

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 10)
LATER = date(2026, 6, 1)


async def td_client(connect: Connect, front: FrontServer) -> FrontClient:
    client = await connect(front.port)
    answer = await client.login(api=protocol.API_TD)
    assert answer.get("ErrorID") == "0", answer
    return client


def fields_of(message: Message) -> InstrumentField:
    return to_struct(InstrumentField, message.fields)


async def ask(front: FrontServer, command: str) -> dict[str, object]:
    return await asyncio.to_thread(control.request, "127.0.0.1", front.control_port, command)


# --- authentication and login ------------------------------------------------------------------


async def test_a_front_without_an_auth_code_lets_a_trading_client_log_in_directly(
    start_front: StartFront, connect: Connect
):
    front = await start_front(trading_day=DAY)
    client = await connect(front.port)
    answer = await client.authenticate(app_id="any_app_1.0", auth_code="anything")
    assert answer.fields == {
        "request_id": "1",
        "ErrorID": "0",
        "ErrorMsg": "",
        "BrokerID": "9999",
        "UserID": "rehearsal",
        "UserProductInfo": "",
        "AppID": "any_app_1.0",
        "AppType": "1",
    }
    other = await connect(front.port)  # no authentication at all
    login = await other.login(api=protocol.API_TD)
    assert login.get("ErrorID") == "0" and login.get("TradingDay") == "20260310"
    status = front.status()
    assert [s["api"] for s in status["sessions"]] == ["td", "td"]
    assert status["auths_ok"] == 1


async def test_a_front_with_an_auth_code_checks_it_before_any_trading_login(
    start_front: StartFront, connect: Connect
):
    front = await start_front(app_id="desk_app_1.0", auth_code="0000000000000000")
    client = await connect(front.port)
    # A trading login without authentication: CTP's "client not authenticated".
    refused = await client.login(api=protocol.API_TD)
    assert (refused.get("ErrorID"), refused.get("ErrorMsg")) == ("64", "CTP:客户端未认证")
    wrong = await client.authenticate(app_id="desk_app_1.0", auth_code="1111111111111111")
    assert (wrong.get("ErrorID"), wrong.get("ErrorMsg")) == ("63", "CTP:客户端认证失败")
    other_app = await client.authenticate(app_id="other_app", auth_code="0000000000000000")
    assert other_app.get("ErrorID") == "63"
    right = await client.authenticate(app_id="desk_app_1.0", auth_code="0000000000000000")
    assert right.get("ErrorID") == "0"
    assert (await client.login(api=protocol.API_TD)).get("ErrorID") == "0"
    # The market-data side never authenticates (CTP's md fronts do not ask).
    md = await connect(front.port)
    assert (await md.login()).get("ErrorID") == "0"
    assert front.counters.auths_rejected == 2 and front.counters.auths_ok == 1


async def test_a_wrong_trading_password_gets_ctps_invalid_login(
    start_front: StartFront, connect: Connect
):
    front = await start_front()
    client = await connect(front.port)
    answer = await client.login(password="wrong", api=protocol.API_TD)
    assert (answer.get("ErrorID"), answer.get("ErrorMsg")) == ("3", "CTP:不合法的登录")
    assert (await client.query_instruments()) == [
        Message(
            protocol.RSP_QRY_INSTRUMENT,
            {"request_id": "1", "ErrorID": "6", "ErrorMsg": "CTP:还没有登录", "last": "1"},
        )
    ]


# --- the instrument query --------------------------------------------------------------------


async def test_the_query_answers_the_whole_sim_market_of_the_trading_day(
    start_front: StartFront, connect: Connect
):
    front = await start_front(trading_day=DAY)
    client = await td_client(connect, front)
    answers = await client.query_instruments(request_id=7, within=60)
    expected = listings.listed(DAY)
    assert len(answers) == len(expected) > 20_000
    assert [m.get("last") for m in answers[-2:]] == ["0", "1"]
    assert {m.get("request_id") for m in answers} == {"7"}
    assert {m.get("ErrorID") for m in answers} == {"0"}
    by_id = {m.get("InstrumentID"): m for m in answers}
    for instrument in expected:
        assert fields_of(by_id[instrument.symbol]) == instrument_field(instrument)
    rb = fields_of(by_id["rb2605"])
    assert (rb.ExchangeID, rb.ProductClass, rb.ProductID, rb.VolumeMultiple, rb.PriceTick) == (
        "SHFE", "1", "rb", 10, 1.0,
    )  # fmt: skip
    assert (rb.DeliveryYear, rb.DeliveryMonth, rb.ExpireDate, rb.InstrumentName) == (
        2026, 5, "20260515", "螺纹钢2605",
    )  # fmt: skip
    io = fields_of(by_id["IO2606-C-3900"])
    assert (io.ProductClass, io.OptionsType, io.StrikePrice, io.UnderlyingInstrID) == (
        "2", "1", 3900.0, "IF2606",
    )  # fmt: skip
    sr = fields_of(by_id["SR605"])
    assert (sr.DeliveryYear, sr.DeliveryMonth) == (2026, 5)  # CZCE's three digits
    raw = next(r.raw for r in client.received if b"InstrumentID=rb2605\t" in r.raw)
    assert "InstrumentName=螺纹钢2605".encode("gb18030") in raw
    assert front.counters.instruments_sent == len(expected)


async def test_the_query_filters_and_an_empty_answer_has_no_instrument(
    start_front: StartFront, connect: Connect
):
    front = await start_front(trading_day=DAY, options=False)
    client = await td_client(connect, front)
    rb = await client.query_instruments(ProductID="rb")
    assert [m.get("InstrumentID") for m in rb] == [
        i.symbol for i in listings.listed(DAY, options=False) if i.product == "rb"
    ]
    one = await client.query_instruments(request_id=2, InstrumentID="IF2603", ExchangeID="CFFEX")
    assert [m.get("InstrumentID") for m in one] == ["IF2603"]
    none = await client.query_instruments(request_id=3, InstrumentID="rb2605", ExchangeID="DCE")
    assert none == [
        Message(
            protocol.RSP_QRY_INSTRUMENT,
            {"request_id": "3", "ErrorID": "0", "ErrorMsg": "", "last": "1"},
        )
    ]
    everything = await client.query_instruments(request_id=4)
    assert len(everything) == len(listings.listed(DAY, options=False))
    assert {m.get("ProductClass") for m in everything} == {"1"}  # futures only


async def test_the_settlement_confirmation_is_answered_plainly(
    start_front: StartFront, connect: Connect
):
    front = await start_front()
    client = await td_client(connect, front)
    after = len(client.received)
    client.send(
        protocol.CONFIRM, [("request_id", 5), ("BrokerID", "9999"), ("InvestorID", "rehearsal")]
    )
    answer = await client.wait_for(lambda m: m.type == protocol.RSP_CONFIRM, after=after)
    now = front.shared.clock()
    assert answer.get("ErrorID") == "0" and answer.get("InvestorID") == "rehearsal"
    assert answer.get("ConfirmDate") == days.ctp_date(now.date())


async def test_the_trading_day_on_command_moves_the_login_and_the_list(
    start_front: StartFront, connect: Connect
):
    front = await start_front(trading_day=DAY, options=False)
    client = await td_client(connect, front)
    before = {m.get("InstrumentID") for m in await client.query_instruments()}
    assert await ask(front, "trading-day 2026-06-01") == {
        "ok": True,
        "trading_day": "2026-06-01",
        "fixed": True,
        "instruments": len(listings.listed(LATER, options=False)),
    }
    after = {m.get("InstrumentID") for m in await client.query_instruments(request_id=2)}
    assert after == {i.symbol for i in listings.listed(LATER, options=False)}
    assert {"rb2605", "IF2603", "SR605"} <= before - after  # expired meanwhile
    assert {"rb2705", "IF2609"} <= after  # listed meanwhile
    login = await (await connect(front.port)).login(api=protocol.API_TD)
    assert login.get("TradingDay") == "20260601"
    assert (await ask(front, "trading-day nonsense"))["ok"] is False
    clock = await ask(front, "trading-day auto")
    assert clock["fixed"] is False
    assert clock["trading_day"] == days.trading_day(front.shared.clock()).isoformat()


async def test_a_catalog_file_is_listed_instead_of_the_sim_market(
    start_front: StartFront, connect: Connect, tmp_path: Path
):
    chosen = [i for i in listings.listed(DAY) if i.product in ("rb", "au_o")]
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(write_catalog_csv(chosen))
    front = await start_front(instruments_file=catalog)
    client = await td_client(connect, front)
    answers = await client.query_instruments()
    assert [m.get("InstrumentID") for m in answers] == [i.symbol for i in chosen]
    assert fields_of(answers[-1]) == instrument_field(chosen[-1])
    # The file is the list whatever the trading day.
    await ask(front, "trading-day 2027-01-04")
    assert len(await client.query_instruments(request_id=2)) == len(chosen)


# --- subscriptions: the pace limit and the whole market -------------------------------------------


async def test_a_subscription_flood_is_dropped_and_a_paced_one_goes_through(
    start_front: StartFront, connect: Connect
):
    # The sim ticks none of these (its cap is its own contracts): a subscription costs
    # the front no snapshot, so its clock counts them as they come, however loaded.
    front = await start_front(max_subscribe_per_s=100, max_sim_instruments=len(SETTINGS.contracts))
    symbols = [i.symbol for i in listings.listed(DAY, options=False)][:300]
    paced = await connect(front.port)
    assert (await paced.login()).get("ErrorID") == "0"
    for start in range(0, 300, 50):
        began = time.monotonic()
        for symbol in symbols[start : start + 50]:  # one SUB per instrument, as vnpy sends
            paced.send(protocol.SUB, [("ids", symbol)])
        await paced.wait_count(protocol.RSP_SUB, start + 50)
        # The pace itself (50 a second under a limit of 100: any second of the front's
        # holds two batches at most), not a wait for anything.
        await asyncio.sleep(max(0.0, 1.05 - (time.monotonic() - began)))
    assert len(front.connections[1].subscriptions) == 300

    flood = await connect(front.port)
    assert (await flood.login()).get("ErrorID") == "0"
    for symbol in symbols[:150]:
        flood.send(protocol.SUB, [("ids", symbol)])
    await flood.wait_closed()
    assert front.counters.floods_dropped == 1
    assert len(flood.messages(kind=protocol.RSP_SUB)) == 100  # answered up to the limit
    assert not paced.eof.is_set()

    # The limit on command: off, then a connection may subscribe all at once.
    assert await ask(front, "pace off") == {"ok": True, "max_subscribe_per_s": None}
    free = await connect(front.port)
    assert (await free.login()).get("ErrorID") == "0"
    await free.subscribe(*symbols)
    assert (await ask(front, "pace 10"))["max_subscribe_per_s"] == 10


async def test_thirty_thousand_subscriptions_complete_and_the_sim_ticks_a_capped_few(
    start_front: StartFront, connect: Connect
):
    front = await start_front(trading_day=DAY, max_sim_instruments=200)
    listed = [i.symbol for i in listings.listed(DAY)]
    unknown = [f"zz{n:05d}" for n in range(30_000 - len(listed))]
    symbols = listed + unknown
    client = await connect(front.port)
    assert (await client.login()).get("ErrorID") == "0"
    began = time.monotonic()
    for start in range(0, len(symbols), 2_000):
        await client.subscribe(*symbols[start : start + 2_000])
    assert len(client.messages(kind=protocol.RSP_SUB)) == 30_000
    assert time.monotonic() - began < 60
    assert front.status()["subscriptions"] == 30_000  # counted, not named, beyond 1,000
    # Two slots later: records come, from 200 instruments at most (the cap).
    mark = len(client.received)
    await client.wait_for(lambda m: m.type == protocol.MD, after=mark)
    first = await client.barrier()
    await client.wait_for(lambda m: m.type == protocol.MD, after=first)
    ticking = {m.get("InstrumentID") for m in client.messages(mark, protocol.MD)}
    assert 0 < len(ticking) <= 200 and not ticking & set(unknown)
    assert len(front.feed.market.instruments) == 200  # type: ignore[attr-defined]
    # ... and the front still answers at once.
    began = time.monotonic()
    await client.barrier()
    assert time.monotonic() - began < TIMEOUT / 2


def test_an_instrument_field_carries_an_options_terms() -> None:
    option = Instrument(
        vt_symbol="m2605-P-3000.DCE", symbol="m2605-P-3000", exchange="DCE", product="m_o",
        kind="option", name="豆粕2605看跌3000", expiry=date(2026, 4, 8), listed=date(2025, 5, 20),
        tick_size=0.5, multiplier=10, underlying="m2605.DCE", option_type="put", strike=3000.0,
    )  # fmt: skip
    field = instrument_field(option)
    assert (field.ProductClass, field.OptionsType, field.StrikePrice) == ("2", "2", 3000.0)
    assert (field.UnderlyingInstrID, field.ProductID, field.OpenDate) == (
        "m2605", "m_o", "20250520",
    )  # fmt: skip
    assert (field.DeliveryYear, field.DeliveryMonth, field.StartDelivDate) == (2026, 5, "")
