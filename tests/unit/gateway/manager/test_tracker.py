from datetime import UTC, datetime

from tickhub_contracts.messages import (
    Connection,
    CtpSettings,
    Heartbeat,
    SimSettings,
    SourceConfig,
)
from tickhub_gateway.manager.tracker import SourceTracker, describe_exit

NOW = datetime(2026, 11, 24, 1, tzinfo=UTC)


def tracker() -> SourceTracker:
    return SourceTracker(
        SourceConfig(name="sim-a", gateway_type="sim", priority=2, canary="rb2605.SHFE")
    )


def beat(pid: int = 100, connected: bool = True, seq: int = 1, **kw) -> Heartbeat:
    kw.setdefault("ticks_total", 7)
    return Heartbeat(source="sim-a", pid=pid, seq=seq, at=NOW, connected=connected, **kw)


def conn(state, code=None, message="") -> Connection:
    return Connection(source="sim-a", state=state, at=NOW, reason_code=code, message=message)


def test_a_new_worker_runs_from_its_first_heartbeat():
    t = tracker()
    assert t.state == "stopped" and not t.alive
    t.spawned(100, now=10.0)
    assert t.status().state == "starting" and t.status().pid == 100
    assert t.on_heartbeat(beat(subscribed_count=1), now=10.5)
    status = t.status()
    assert status.state == "running"
    assert status.connection == "connected" and status.connected
    assert status.ticks_total == 7 and status.subscribed_count == 1
    assert status.last_heartbeat_at == NOW and status.priority == 2


def test_heartbeats_of_another_process_are_ignored():
    t = tracker()
    t.spawned(100, now=0.0)
    assert not t.on_heartbeat(beat(pid=99), now=0.1)
    assert t.status().state == "starting"
    t.exited(-9)
    assert not t.on_heartbeat(beat(pid=100), now=0.2)
    assert t.status().state == "exited"


def test_silence_makes_it_hung_and_a_beat_brings_it_back():
    t = tracker()
    t.spawned(100, now=0.0)
    t.on_heartbeat(beat(), now=1.0)
    assert not t.check(now=2.4, heartbeat_timeout=1.5, start_timeout=20)
    assert t.check(now=2.6, heartbeat_timeout=1.5, start_timeout=20)
    status = t.status()
    assert status.state == "hung" and not status.connected
    assert "no heartbeat for 1.6 s" in status.reason
    assert not t.check(now=5.0, heartbeat_timeout=1.5, start_timeout=20)  # once
    t.on_heartbeat(beat(seq=2), now=5.1)
    assert t.state == "running" and t.reason == ""


def test_a_worker_that_never_beats_is_hung_after_the_start_timeout():
    t = tracker()
    t.spawned(100, now=0.0)
    assert not t.check(now=19.0, heartbeat_timeout=1.5, start_timeout=20)
    assert t.check(now=20.5, heartbeat_timeout=1.5, start_timeout=20)
    assert "after start" in t.reason


def test_connection_messages_fold_in_with_their_reason():
    t = tracker()
    t.spawned(100, now=0.0)
    t.on_heartbeat(beat(connected=False), now=0.1)
    assert t.on_connection(conn("login_failed", 3, "CTP:不合法的登录"))
    status = t.status()
    assert (status.connection, status.reason_code) == ("login_failed", 3)
    assert status.reason == "login_failed: CTP:不合法的登录"
    assert not status.connected


def test_the_heartbeat_heals_a_lost_connection_message():
    t = tracker()
    t.spawned(100, now=0.0)
    t.on_heartbeat(beat(connected=True), now=0.1)
    assert t.status().connection == "connected"
    t.on_heartbeat(beat(connected=False, seq=2), now=1.1)
    assert t.status().connection == "disconnected"


def test_an_exit_drops_the_connection_and_names_the_signal_or_code():
    t = tracker()
    t.spawned(100, now=0.0)
    t.on_heartbeat(beat(), now=0.1)
    t.exited(-9)
    status = t.status()
    assert status.state == "exited" and status.pid is None and status.exit_code == -9
    assert status.reason == "killed by SIGKILL"
    assert status.connection == "disconnected" and not status.connected
    assert not t.on_connection(conn("connected"))
    assert describe_exit(70) == "exit code 70"
    assert describe_exit(-15) == "killed by SIGTERM"
    assert describe_exit(-200) == "killed by signal 200"


def test_only_real_changes_are_worth_publishing():
    t = tracker()
    assert t.take_change()
    assert not t.take_change()
    t.spawned(100, now=0.0)
    assert t.take_change()
    t.on_heartbeat(beat(seq=1), now=0.1)
    assert t.take_change()  # starting -> running
    t.on_heartbeat(beat(seq=2, ticks_total=50), now=1.1)
    assert not t.take_change()  # counters alone are for the periodic status
    t.manual_stop = True
    assert t.take_change()


def test_silence_while_the_manager_was_off_the_bus_is_forgiven():
    t = tracker()
    t.spawned(100, now=0.0)
    t.on_heartbeat(beat(), now=1.0)
    t.excuse_silence(now=10.0)  # back on the bus after 9 s without news
    assert not t.check(now=11.0, heartbeat_timeout=1.5, start_timeout=20)
    assert t.check(now=11.6, heartbeat_timeout=1.5, start_timeout=20)


def test_the_status_carries_contracts_trading_hours_and_the_process_start():
    t = SourceTracker(
        SourceConfig(
            name="sim-a",
            gateway_type="sim",
            contracts=["rb2605.SHFE", "m2605.DCE"],
            canary="rb2605.SHFE",
            sim=SimSettings(trading_hours="exchange"),
        )
    )
    assert t.status().contracts == ["m2605.DCE", "rb2605.SHFE"]
    assert t.status().trading_hours == "exchange"
    assert t.status().pid_started_at is None
    t.spawned(100, now=0.0, at=NOW)
    assert t.take_change()
    assert t.status().pid_started_at == NOW
    t.spawned(101, now=5.0, at=NOW.replace(second=5))
    assert t.take_change() and t.status().pid_started_at == NOW.replace(second=5)
    t.exited(-9)
    assert t.status().pid_started_at is None


def test_trading_hours_by_gateway_type():
    sim_default = SourceConfig(name="s", gateway_type="sim")
    ctp = SourceConfig(name="c", gateway_type="ctp", ctp=CtpSettings())
    assert SourceTracker(sim_default).status().trading_hours == "always"
    assert SourceTracker(ctp).status().trading_hours == "exchange"


def test_a_change_of_the_configured_contracts_is_published():
    t = tracker()
    t.take_change()
    t.config = SourceConfig(
        name="sim-a", gateway_type="sim", priority=2, canary="rb2605.SHFE", contracts=["m2605.DCE"]
    )
    assert t.take_change()
    assert t.status().contracts == ["m2605.DCE"]
