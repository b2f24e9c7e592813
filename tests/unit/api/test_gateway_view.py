"""GET /api/gateways' view of one account: the account joined with the manager's
newest status and the routing table (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tickhub_api.gateway_view import AccountFacts, gateway_view, stale_after_s
from tickhub_contracts.messages import GatewayStatus

NOW = datetime(2026, 11, 24, 1, 0, 10, tzinfo=UTC)
STALE = stale_after_s(2.0)


def account(**kw: Any) -> AccountFacts:
    values: dict[str, Any] = dict(
        account_id=3,
        name="sim-a",
        gateway_type="sim",
        priority=1,
        is_enabled=True,
        canary="rb2605.SHFE",
    )
    values.update(kw)
    return AccountFacts(**values)


def status(**kw: Any) -> GatewayStatus:
    values: dict[str, Any] = dict(
        source="sim-a",
        gateway_type="sim",
        priority=9,
        state="running",
        at=NOW - timedelta(seconds=1),
        pid=4451,
        restarts=2,
        connection="connected",
        ticks_per_s=4.0,
        last_tick_at=NOW - timedelta(seconds=0.5),
        canary_received_at=NOW - timedelta(seconds=0.25),
    )
    values.update(kw)
    return GatewayStatus(**values)


ROUTES = {"rb2605.SHFE": "sim-a", "m2605.DCE": "sim-b", "IF2512.CFFEX": "sim-a"}


def test_a_running_source() -> None:
    view = gateway_view(account(), status(), ROUTES, NOW, STALE)
    assert (view.state, view.pid, view.restarts, view.connected) == ("running", 4451, 2, True)
    assert view.reason == "" and view.connection == "connected"
    assert view.ticks_per_s == 4.0 and view.canary_age_s == 0.25
    assert view.active_symbols == ["IF2512.CFFEX", "rb2605.SHFE"]
    # What the account is comes from the database, not from the status.
    assert view.priority == 1 and view.account_id == 3


def test_connected_means_running_and_logged_in() -> None:
    failed = status(connection="login_failed", reason="login_failed: x")
    view = gateway_view(account(), failed, {}, NOW, STALE)
    assert (view.connected, view.reason) == (False, "login_failed: x")
    assert view.connection == "login_failed"
    hung = status(state="hung", reason="no heartbeat for 2.0 s")
    view = gateway_view(account(), hung, {}, NOW, STALE)
    assert view.connected is False and view.state == "hung"


def test_not_reported_yet() -> None:
    view = gateway_view(account(), None, ROUTES, NOW, STALE)
    assert view.state == "unknown" and "not reported" in view.reason
    assert (view.pid, view.connected, view.ticks_per_s, view.status_at) == (None, False, 0.0, None)


def test_disabled_and_not_reported() -> None:
    view = gateway_view(account(is_enabled=False), None, {}, NOW, STALE)
    assert (view.state, view.reason) == ("stopped", "disabled")


def test_disabled_with_a_status() -> None:
    stopped = status(state="stopped", pid=None, connection="disconnected", reason="")
    view = gateway_view(account(is_enabled=False), stopped, {}, NOW, STALE)
    assert (view.state, view.reason) == ("stopped", "disabled")


def test_a_manual_stop_is_shown() -> None:
    held = status(state="stopped", pid=None, manual_stop=True, reason="stopped by operator")
    view = gateway_view(account(), held, {}, NOW, STALE)
    assert view.manual_stop and view.reason == "stopped by operator"


def test_a_status_the_manager_stopped_repeating_says_unknown() -> None:
    old = status(at=NOW - timedelta(seconds=STALE + 1))
    view = gateway_view(account(), old, ROUTES, NOW, STALE)
    assert view.state == "unknown" and "(last: running)" in view.reason
    assert (view.pid, view.connected, view.ticks_per_s) == (None, False, 0.0)
    assert view.status_at == old.at and view.restarts == 2


def test_no_canary_yet() -> None:
    view = gateway_view(account(), status(canary_received_at=None), {}, NOW, STALE)
    assert view.canary_age_s is None


def test_a_canary_from_the_future_is_age_zero() -> None:
    ahead = status(canary_received_at=NOW + timedelta(seconds=2))
    assert gateway_view(account(), ahead, {}, NOW, STALE).canary_age_s == 0.0
