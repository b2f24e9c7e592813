"""The sim's rehearsal settings with real workers: exchange trading hours (ticks only
in session) and ``crash_after_s`` (a crash-looping source)."""

from __future__ import annotations

import datetime as dt

from nats.aio.client import Client

from tickhub_contracts import subjects
from tickhub_contracts.messages import GatewayStatus, Heartbeat
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.manager import GatewayManager
from tickhub_gateway.protocol import CRASH_EXIT_CODE
from tickhub_markets import sessions
from tickhub_markets.calendar import exchange_holidays
from tickhub_runtime.settings import Settings

from ..conftest import START_TIMEOUT, Inbox, Workers, inbox, sim, tick_inbox

# Products with different sessions: day only (CFFEX), nights to 23:00, 01:00 and 02:30.
CANDIDATES = ["IF2512.CFFEX", "rb2605.SHFE", "cu2601.SHFE", "au2602.SHFE", "m2605.DCE"]


async def test_a_sim_with_exchange_hours_ticks_only_what_is_in_session(
    nc: Client, workers: Workers
):
    now = dt.datetime.now(dt.UTC)
    soon = now + dt.timedelta(seconds=60)
    days_off = exchange_holidays()  # the worker's own (no holiday configured)
    # Contracts whose session does not open or close during the test.
    steady = [
        vt
        for vt in CANDIDATES
        if sessions.is_open(vt, now, days_off) == sessions.is_open(vt, soon, days_off)
    ]
    open_now = {vt for vt in steady if sessions.is_open(vt, now, days_off)}
    ticks = await tick_inbox(nc, "tickhub.ticks.sim-x.>")
    beats = await inbox(nc, subjects.heartbeat("sim-x"), Heartbeat)
    config = sim("sim-x", contracts=steady, trading_hours="exchange", ticks_per_second=4.0)
    config.canary = ""  # only the steady ones
    await workers.start(config)
    await beats.wait_for(lambda b: b.connected, START_TIMEOUT)
    # Three heartbeats at 4 ticks a second: every open contract has ticked by then.
    seen = len(beats.items)
    await beats.wait_count(lambda b: True, 3, within=10, after=seen)
    assert {t.vt_symbol for t in ticks.values} == open_now


async def test_on_a_holiday_an_exchange_hours_sim_is_connected_and_silent(
    nc: Client, gw_settings: Settings
):
    today = dt.datetime.now(CHINA_TZ).date()
    # Today and tomorrow off: no day session today and no night session tonight or
    # from last night (it belongs to today's trading day).
    holidays = [today, today + dt.timedelta(days=1)]
    workers = Workers(gw_settings.model_copy(update={"holidays": holidays}))
    try:
        ticks = await tick_inbox(nc, "tickhub.ticks.>")
        beats = await inbox(nc, subjects.HEARTBEAT_ALL, Heartbeat)
        await workers.start(sim("sim-shut", trading_hours="exchange"))
        await workers.start(sim("sim-open"))  # around the clock: the control
        await beats.wait_for(lambda b: b.source == "sim-shut" and b.connected, START_TIMEOUT)
        await ticks.wait_count(lambda t: t.source == "sim-open", 4, within=START_TIMEOUT)
        seen = len(beats.items)
        late = await beats.wait_count(lambda b: b.source == "sim-shut", 3, within=10, after=seen)
        assert all(b.connected and b.ticks_total == 0 for b in late)
        assert not [t for t in ticks.values if t.source == "sim-shut"]
    finally:
        await workers.close()


async def test_crash_after_s_ends_the_worker_with_an_error(
    manager: GatewayManager, statuses: Inbox[GatewayStatus]
):
    await manager.apply([sim("sim-c", contracts=["m2605.DCE"], crash_after_s=1.5)])
    up = await statuses.wait_for(lambda s: s.source == "sim-c" and s.connected, START_TIMEOUT)
    assert up.pid_started_at is not None and up.trading_hours == "always"
    exited = await statuses.wait_for(lambda s: s.source == "sim-c" and s.state == "exited")
    assert exited.exit_code == CRASH_EXIT_CODE and exited.reason == f"exit code {CRASH_EXIT_CODE}"
    assert exited.at - up.pid_started_at >= dt.timedelta(seconds=1.5)
