"""GET /api/gateways' view of one account: the account joined with the manager's
newest status, the health verdict, the routing table and the publisher's drop counts
(pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tickhub_api.gateway_view import (
    NOT_JUDGED,
    AccountFacts,
    DropCounts,
    gateway_view,
    health_stale_after_s,
    publisher_stale_after_s,
    stale_after_s,
)
from tickhub_contracts.messages import GatewayStatus, PublisherStats, SourceHealth, TickDrops

NOW = datetime(2026, 11, 24, 1, 0, 10, tzinfo=UTC)
STALE = stale_after_s(2.0)
HEALTH_STALE = health_stale_after_s(2.0)


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


def verdict(**kw: Any) -> SourceHealth:
    values: dict[str, Any] = dict(
        source="sim-a",
        state="UNHEALTHY",
        cause="heartbeat_lost",
        reason="heartbeat lost for 2.1 s",
        at=NOW - timedelta(seconds=1),
        since=NOW - timedelta(seconds=4),
    )
    values.update(kw)
    return SourceHealth(**values)


def test_the_health_verdict_is_shown() -> None:
    view = gateway_view(account(), status(), ROUTES, NOW, STALE, health=verdict())
    assert (view.health, view.health_reason) == ("UNHEALTHY", "heartbeat lost for 2.1 s")
    assert view.health_since == NOW - timedelta(seconds=4) and not view.needs_operator


def test_a_rejected_login_needs_the_operator() -> None:
    rejected = verdict(cause="login_rejected", reason="login rejected: 3", needs_operator=True)
    view = gateway_view(account(), None, {}, NOW, STALE, health=rejected)
    assert view.needs_operator and view.health == "UNHEALTHY"


def test_no_verdict_says_why() -> None:
    view = gateway_view(account(), status(), ROUTES, NOW, STALE)
    assert (view.health, view.health_since, view.health_reason) == (None, None, NOT_JUDGED)
    assert not view.needs_operator


def test_a_verdict_the_health_service_stopped_repeating_is_withheld() -> None:
    old = verdict(
        state="HEALTHY", at=NOW - timedelta(seconds=HEALTH_STALE + 1), needs_operator=True
    )
    view = gateway_view(
        account(), status(), ROUTES, NOW, STALE, health=old, health_stale_s=HEALTH_STALE
    )
    assert view.health is None and view.health_since is None
    assert "no verdict from the health service" in view.health_reason
    assert "(last: HEALTHY)" in view.health_reason
    # A person's job stays one while the service is away.
    assert view.needs_operator


def test_a_local_front_account_says_so_and_a_broker_account_does_not() -> None:
    local = gateway_view(account(gateway_type="ctp", local_front=True), None, ROUTES, NOW, STALE)
    broker = gateway_view(account(gateway_type="ctp"), None, ROUTES, NOW, STALE)
    assert (local.local_front, broker.local_front) == (True, False)


def test_facts_of_a_row_read_the_library_from_its_settings() -> None:
    from tickhub_accounts.models import MarketDataAccount
    from tickhub_api.gateway_view import facts_of

    def row(gateway_type: str, settings: dict[str, Any]) -> MarketDataAccount:
        return MarketDataAccount(
            id=1,
            name="a",
            gateway_type=gateway_type,
            priority=1,
            is_enabled=True,
            canary="rb2605.SHFE",
            contracts=[],
            settings=settings,
        )

    assert facts_of(row("ctp", {"md_library": "local"})).local_front is True
    assert facts_of(row("ctp", {"md_library": "ctp"})).local_front is False
    assert facts_of(row("ctp", {})).local_front is False
    assert facts_of(row("sim", {"md_library": "local"})).local_front is False


# --- the publisher's drop counts --------------------------------------------------------

PUBLISHER_STALE = publisher_stale_after_s(2.0)


def stats(
    sources: dict[str, TickDrops], at: datetime = NOW - timedelta(seconds=1)
) -> PublisherStats:
    return PublisherStats(
        at=at, started_at=NOW - timedelta(hours=1), forwarded=1000, sources=sources
    )


def test_the_publishers_counts_of_the_source_are_shown() -> None:
    said = stats({"sim-a": TickDrops(duplicate=12, out_of_session=3, replay=40)})
    view = gateway_view(account(), status(), ROUTES, NOW, STALE, publisher=said)
    assert view.drops == DropCounts(duplicate=12, stale=0, future=0, out_of_session=3, replay=40)
    assert view.drops_at == said.at


def test_a_source_the_publisher_does_not_name_has_had_nothing_dropped() -> None:
    said = stats({"sim-b": TickDrops(stale=5)})
    view = gateway_view(account(), None, ROUTES, NOW, STALE, publisher=said)
    assert view.drops == DropCounts(duplicate=0, stale=0, future=0, out_of_session=0, replay=0)


def test_no_word_from_the_publisher_is_null() -> None:
    view = gateway_view(account(), status(), ROUTES, NOW, STALE)
    assert (view.drops, view.drops_at) == (None, None)


def test_counts_the_publisher_stopped_repeating_are_withheld() -> None:
    old = stats({"sim-a": TickDrops(stale=1)}, at=NOW - timedelta(seconds=PUBLISHER_STALE + 1))
    view = gateway_view(
        account(), status(), ROUTES, NOW, STALE, publisher=old, publisher_stale_s=PUBLISHER_STALE
    )
    # Null, and when the publisher was last heard of.
    assert (view.drops, view.drops_at) == (None, old.at)


def test_the_views_counts_are_the_publishers_reasons() -> None:
    assert list(DropCounts.model_fields) == list(TickDrops.__struct_fields__)
