"""The health state machine, scenario by scenario."""

from __future__ import annotations

import datetime as dt

import pytest

from tickhub_contracts.messages import SourceHealth
from tickhub_health.rules.connection import NO_LOGIN_ANSWER

from .rig import WED_1000, Rig

SAT_1000 = WED_1000 + dt.timedelta(days=3)
WED_1230 = WED_1000 + dt.timedelta(hours=2, minutes=30)  # lunch break at SHFE


def states(rig: Rig) -> list[str]:
    return [v.state for v in rig.changes]


def test_a_new_process_starts_then_becomes_healthy() -> None:
    rig = Rig()
    rig.status("starting", connection="disconnected")
    rig.evaluate()
    assert rig.state == "STARTING"
    rig.tick(0.5)
    rig.beat(connected=False)
    rig.connection("connecting")
    rig.evaluate()
    assert (rig.state, rig.cause) == ("STARTING", "starting")
    rig.connection("connected")
    rig.tick(0.1)
    assert rig.state == "STARTING"  # connected, but the canary has not ticked yet
    rig.canary_tick()
    rig.tick(0.1)
    assert (rig.state, rig.cause) == ("HEALTHY", "ok")
    assert rig.changes[-1].previous == "STARTING"
    assert rig.changes[-1].since == rig.now


def test_sigkill_is_judged_at_once_from_the_managers_exit() -> None:
    rig = Rig()
    rig.bring_up()
    rig.tick(0.05)
    rig.status("exited", pid=False, connection="disconnected", reason="killed by SIGKILL")
    change = rig.tick(0.1)
    assert change is not None
    assert (change.state, change.cause) == ("UNHEALTHY", "process_exited")
    assert "SIGKILL" in change.reason
    assert change.detected_ms is not None and 50 <= change.detected_ms <= 200
    # a late heartbeat of the dead process changes nothing
    assert not rig.beat()
    assert rig.tick(0.1) is None


def test_a_silent_worker_is_heartbeat_lost_after_the_timeout() -> None:
    rig = Rig()
    rig.bring_up()
    rig.beat()
    rig.evaluate()
    for _ in range(7):  # 1.4 s: still in time
        rig.tick(0.2)
        rig.canary_tick()
    assert rig.state == "HEALTHY"
    change = rig.tick(0.2)
    assert change is not None and (change.state, change.cause) == ("UNHEALTHY", "heartbeat_lost")
    assert change.detected_ms == pytest.approx(1600, abs=1)
    # the manager's hung verdict that follows does not flip the cause
    rig.status("hung", reason="no heartbeat for 1.6 s")
    assert rig.tick(0.1) is None
    assert rig.cause == "heartbeat_lost"


def test_a_frozen_worker_that_thaws_recovers_through_recovering() -> None:
    rig = Rig()
    rig.bring_up()
    rig.tick(2.0)
    assert rig.state == "UNHEALTHY"
    rig.beat()
    rig.canary_tick()
    rig.evaluate()
    assert rig.state == "RECOVERING"
    rig.tick(0.5)
    rig.canary_tick()
    rig.beat()
    rig.tick(0.1)
    assert rig.state == "HEALTHY"
    assert states(rig)[-3:] == ["UNHEALTHY", "RECOVERING", "HEALTHY"]


def test_manual_stop_is_stopped_and_a_start_is_starting_again() -> None:
    rig = Rig()
    rig.bring_up()
    rig.status("stopping", manual_stop=True, reason="stopped by operator")
    change = rig.tick(0.1)
    assert change is not None and (change.state, change.cause) == ("STOPPED", "stopped")
    rig.status("stopped", pid=False, manual_stop=True, connection="disconnected")
    assert rig.tick(0.5) is None
    rig.tick(30)  # no heartbeat for long: still stopped, not lost
    assert rig.state == "STOPPED"
    rig.pid += 1
    rig.bring_up()
    assert states(rig)[-2:] == ["STARTING", "HEALTHY"]


def test_disabled_source_is_stopped() -> None:
    rig = Rig()
    rig.status("stopped", pid=False, connection="disconnected", reason="disabled")
    rig.evaluate()
    assert (rig.state, rig.machine.verdict.reason) == ("STOPPED", "stopped: disabled")


def test_a_rejected_login_needs_the_operator() -> None:
    rig = Rig()
    rig.status("starting", connection="disconnected")
    rig.tick(0.5)
    rig.beat(connected=False)
    rig.connection("login_failed", 3)
    change = rig.tick(0.1)
    assert change is not None
    assert (change.state, change.cause, change.needs_operator) == (
        "UNHEALTHY",
        "login_rejected",
        True,
    )
    assert rig.machine.report(rig.now).needs_operator


def test_an_unanswered_login_is_transient() -> None:
    rig = Rig()
    rig.status("starting", connection="disconnected")
    rig.tick(0.5)
    rig.beat(connected=False)
    rig.connection("login_failed", NO_LOGIN_ANSWER)
    change = rig.tick(0.1)
    assert change is not None
    assert (change.cause, change.needs_operator) == ("disconnected", False)


def test_a_dropped_connection_is_unhealthy_and_its_return_recovers() -> None:
    rig = Rig()
    rig.bring_up()
    rig.connection("disconnected", 4097)
    change = rig.tick(0.1)
    assert change is not None and (change.state, change.cause) == ("UNHEALTHY", "disconnected")
    assert "4097" in change.reason
    rig.connection("connected")
    rig.tick(0.1)
    assert rig.state == "RECOVERING"
    rig.tick(0.4)  # the canary's next tick, after the connection came back
    rig.canary_tick()
    rig.beat()
    rig.tick(0.1)
    assert rig.state == "HEALTHY"


def test_a_stalled_canary_degrades_then_fails_then_recovers() -> None:
    rig = Rig()
    rig.bring_up()
    rig.canary_tick()
    for _ in range(8):  # 1.6 s without the canary
        rig.tick(0.2)
        rig.beat()
    assert (rig.state, rig.cause) == ("DEGRADED", "canary_stale")
    for _ in range(8):  # 3.2 s
        rig.tick(0.2)
        rig.beat()
    assert (rig.state, rig.cause) == ("UNHEALTHY", "canary_stale")
    assert rig.changes[-1].detected_ms == pytest.approx(3000, abs=250)
    rig.canary_tick()
    rig.tick(0.1)
    assert rig.state == "RECOVERING"
    rig.tick(0.4)
    rig.canary_tick()
    rig.beat()
    rig.tick(0.1)
    assert rig.state == "HEALTHY"


def test_outside_the_session_silence_is_market_closed() -> None:
    rig = Rig(SAT_1000, trading_hours="exchange")
    rig.bring_up()
    assert (rig.state, rig.cause) == ("MARKET_CLOSED", "market_closed")
    assert "opens Mon" in rig.machine.verdict.reason
    for _ in range(50):  # 10 s of silence: still closed, not stale
        rig.tick(0.2)
        rig.beat()
    assert rig.state == "MARKET_CLOSED"
    assert not rig.machine.report(rig.now).in_session


def test_a_ctp_front_dropping_between_sessions_is_not_a_failure() -> None:
    rig = Rig(WED_1230, trading_hours="exchange")
    rig.bring_up()
    rig.connection("disconnected", 4097)
    rig.beat(connected=False)
    rig.tick(0.1)
    assert rig.state == "MARKET_CLOSED"
    # at 13:30 the session opens: a feed still down is now a failure
    rig.now = WED_1000 + dt.timedelta(hours=3, minutes=30)
    rig.beat(connected=False)
    rig.evaluate()
    assert (rig.state, rig.cause) == ("UNHEALTHY", "disconnected")


def test_canary_silence_counts_from_the_session_start() -> None:
    open_1330 = WED_1000 + dt.timedelta(hours=3, minutes=30)
    rig = Rig(open_1330 - dt.timedelta(minutes=5), trading_hours="exchange")
    rig.bring_up()
    assert rig.state == "MARKET_CLOSED"
    while rig.now < open_1330 + dt.timedelta(seconds=1):
        rig.tick(0.25)
        rig.beat()
    assert rig.state == "MARKET_CLOSED" or rig.state == "HEALTHY"
    assert rig.state != "UNHEALTHY"  # the last tick was before the break, 2 h ago
    rig.canary_tick()
    rig.tick(0.1)
    assert rig.state == "HEALTHY"
    for _ in range(16):
        rig.tick(0.25)
        rig.beat()
    assert (rig.state, rig.cause) == ("UNHEALTHY", "canary_stale")


def test_a_lagging_source_is_degraded_with_hysteresis() -> None:
    rig = Rig()
    rig.bring_up()
    rig.machine.on_lag(800.0)
    change = rig.tick(0.1)
    assert change is not None and (change.state, change.cause) == ("DEGRADED", "lagging")
    rig.canary_tick()
    rig.machine.on_lag(450.0)  # below the limit, above its recovery line
    assert rig.tick(0.1) is None
    rig.machine.on_lag(300.0)
    rig.canary_tick()
    change = rig.tick(0.1)
    assert change is not None and change.state == "HEALTHY"


def test_a_restart_after_a_failure_is_recovering_until_healthy() -> None:
    rig = Rig()
    rig.bring_up()
    rig.status("hung", reason="no heartbeat for 1.6 s")
    rig.tick(2.0)
    assert rig.state == "UNHEALTHY"
    # the failover service orders a hard restart: stopping the old process is no stop
    rig.status("stopping", reason="hard restart by failover")
    rig.tick(0.5)
    rig.status("stopped", pid=False, connection="disconnected", reason="hard restart by failover")
    rig.tick(2.5)
    assert rig.state == "UNHEALTHY"
    rig.pid += 1
    rig.restarts += 1
    rig.bring_up()
    assert states(rig)[-3:] == ["UNHEALTHY", "RECOVERING", "HEALTHY"]


def test_an_operator_restart_of_a_healthy_source_is_recovering_until_healthy() -> None:
    rig = Rig()
    rig.bring_up()
    rig.status("stopping", reason="hard restart by operator")
    rig.tick(0.1)
    assert rig.state == "RECOVERING"
    rig.status("stopped", pid=False, connection="disconnected", reason="hard restart by operator")
    rig.tick(0.5)
    assert rig.state == "RECOVERING"
    rig.pid += 1
    rig.restarts += 1
    rig.bring_up()
    assert states(rig)[-3:] == ["HEALTHY", "RECOVERING", "HEALTHY"]


def test_a_stop_that_is_not_a_restart_is_stopped() -> None:
    rig = Rig()
    rig.bring_up()
    rig.status("stopping", reason="hard restart by operator", restarting=False)
    rig.tick(0.1)
    assert rig.state == "STOPPED"


def test_a_process_that_never_connects_fails_after_the_startup_grace() -> None:
    rig = Rig()
    rig.status("starting", connection="disconnected")
    rig.tick(0.5)
    t = 0.5
    while t < 20.0:
        rig.beat(connected=False)
        rig.tick(0.5)
        t += 0.5
    assert rig.state == "STARTING"
    rig.beat(connected=False)
    rig.tick(0.6)
    assert (rig.state, rig.cause) == ("UNHEALTHY", "disconnected")
    assert "after its start" in rig.machine.verdict.reason


def test_a_silent_manager_is_not_a_stop() -> None:
    rig = Rig()
    rig.bring_up()
    for _ in range(40):  # 10 s of beats and ticks, no status at all
        rig.tick(0.25)
        rig.canary_tick()
        rig.beat()
    assert rig.state == "HEALTHY"
    rig.tick(1.6)
    assert (rig.state, rig.cause) == ("UNHEALTHY", "heartbeat_lost")


def test_a_silent_manager_and_a_new_pid_in_the_heartbeats() -> None:
    rig = Rig()
    rig.bring_up()
    rig.tick(10)
    assert rig.state == "UNHEALTHY"
    assert rig.beat(pid=rig.pid + 7)  # without a status, the beat itself names the process
    rig.evaluate()
    assert rig.state == "RECOVERING"


def test_removed_from_the_pool_is_stopped() -> None:
    rig = Rig()
    rig.bring_up()
    rig.machine.removed(rig.now)
    change = rig.tick(0.1)
    assert change is not None and (change.state, change.reason) == (
        "STOPPED",
        "removed from the pool",
    )


def restored(state: str, since: dt.datetime, **fields: object) -> SourceHealth:
    return SourceHealth(
        source="sim-a",
        state=state,  # type: ignore[arg-type]
        cause=fields.pop("cause", "ok"),  # type: ignore[arg-type]
        reason="from before",
        at=since + dt.timedelta(seconds=30),
        since=since,
        pid=100,
        connected=True,
        canary="rb2605.SHFE",
        **fields,  # type: ignore[arg-type]
    )


def test_a_restored_healthy_verdict_holds_while_the_heartbeats_come() -> None:
    since = WED_1000 - dt.timedelta(hours=1)
    rig = Rig(restored=restored("HEALTHY", since))
    assert rig.tick(0.3) is None
    rig.status()
    assert rig.tick(0.5) is None  # a status, no heartbeat yet: no change
    rig.beat()
    rig.canary_tick()
    assert rig.tick(0.3) is None
    rig.run_healthy(5)
    assert rig.changes == []
    assert rig.machine.report(rig.now).since == since


def test_a_restored_healthy_verdict_falls_when_no_heartbeat_comes() -> None:
    rig = Rig(restored=restored("HEALTHY", WED_1000 - dt.timedelta(hours=1)))
    rig.status()
    assert rig.tick(2.4) is None  # within heartbeat_timeout + interval
    change = rig.tick(0.2)
    assert change is not None and (change.state, change.cause) == ("UNHEALTHY", "heartbeat_lost")


def test_a_restored_unhealthy_source_recovers_through_recovering() -> None:
    rig = Rig(restored=restored("UNHEALTHY", WED_1000, cause="process_exited"))
    rig.status("exited", pid=False, connection="disconnected", reason="exit code 1")
    assert rig.tick(0.1) is None  # still exited: the same verdict
    rig.pid += 1
    rig.restarts += 1
    rig.bring_up()
    assert states(rig) == ["RECOVERING", "HEALTHY"]


def test_report_carries_the_details() -> None:
    rig = Rig()
    rig.bring_up()
    rig.machine.on_lag(12.0)
    report = rig.machine.report(rig.now)
    assert report.source == "sim-a"
    assert report.state == "HEALTHY"
    assert report.connected and report.pid == 100
    assert report.contracts == ["rb2605.SHFE", "au2602.SHFE"]
    assert report.canary == "rb2605.SHFE"
    assert report.canary_latency_ms == pytest.approx(5.0)
    assert report.heartbeat_age_s is not None and report.heartbeat_age_s < 1.5
    assert report.lag_ms == 12.0


@pytest.mark.parametrize(
    ("state", "cause"),
    [
        ("STOPPED", "stopped"),
        ("UNHEALTHY", "process_exited"),
        ("UNHEALTHY", "login_rejected"),
        ("MARKET_CLOSED", "market_closed"),
        ("DEGRADED", "lagging"),
    ],
)
def test_a_restored_verdict_stands_until_evidence(state: str, cause: str) -> None:
    since = WED_1000 - dt.timedelta(hours=1)
    rig = Rig(restored=restored(state, since, cause=cause))
    assert rig.tick(0.2) is None
    assert rig.tick(2.0) is None
    assert (rig.state, rig.cause, rig.machine.verdict.since) == (state, cause, since)
    change = rig.tick(60.0)
    if state in ("STOPPED", "UNHEALTHY"):
        assert change is None  # no word at all: nothing contradicts it
        assert (rig.state, rig.machine.verdict.since) == (state, since)
    else:  # a proven source must beat: its first heartbeat is overdue
        assert change is not None and (change.state, change.cause) == (
            "UNHEALTHY",
            "heartbeat_lost",
        )


def test_a_restored_starting_source_still_has_its_grace() -> None:
    rig = Rig(restored=restored("STARTING", WED_1000, cause="starting"))
    assert rig.tick(10.0) is None
    change = rig.tick(11.0)
    assert change is not None and change.state == "UNHEALTHY"


def test_silence_while_this_service_was_cut_off_is_forgiven() -> None:
    rig = Rig()
    rig.bring_up()
    assert rig.state == "HEALTHY"
    # Cut off the bus for 20 s: no heartbeat, no canary heard, no judging meanwhile.
    rig.now += dt.timedelta(seconds=20)
    rig.machine.excuse_silence(rig.now)
    rig.tick(0.2)
    assert rig.state == "HEALTHY"
    # Back on the bus, the source stays silent: now that counts, from the reconnect.
    rig.tick(1.0)
    assert rig.state == "HEALTHY"
    rig.tick(1.0)
    assert (rig.state, rig.cause) == ("UNHEALTHY", "heartbeat_lost")
