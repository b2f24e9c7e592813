"""Selection: per contract, the highest-priority connected source that carries it."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts.messages import ConnectionState, GatewayStatus, ProcessState
from tickhub_publisher.selection import PrioritySelection, diff

T0 = dt.datetime(2026, 11, 24, 21, 0, tzinfo=dt.UTC)
RB, AU, M = "rb2605.SHFE", "au2602.SHFE", "m2605.DCE"


def status(
    source: str,
    priority: int,
    subscribed: list[str],
    *,
    connection: ConnectionState = "connected",
    state: ProcessState = "running",
    at: dt.datetime = T0,
) -> GatewayStatus:
    return GatewayStatus(
        source=source,
        gateway_type="sim",
        priority=priority,
        state=state,
        connection=connection,
        at=at,
        subscribed=subscribed,
    )


def test_nothing_is_selected_before_any_status() -> None:
    assert PrioritySelection().routes == {}


def test_highest_priority_connected_source_wins_per_contract() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-b", 2, [RB, AU, M]))
    assert selection.routes == {RB: "sim-b", AU: "sim-b", M: "sim-b"}
    changes = selection.update(status("sim-a", 1, [RB, AU]))
    assert changes == {RB: ("sim-b", "sim-a"), AU: ("sim-b", "sim-a")}
    # m2605 is only on sim-b
    assert selection.routes == {RB: "sim-a", AU: "sim-a", M: "sim-b"}


def test_a_disconnected_source_hands_over_and_takes_back_on_reconnect() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-a", 1, [RB]))
    selection.update(status("sim-b", 2, [RB]))
    assert selection.routes == {RB: "sim-a"}
    later = T0 + dt.timedelta(seconds=1)
    changes = selection.update(status("sim-a", 1, [RB], connection="disconnected", at=later))
    assert changes == {RB: ("sim-a", "sim-b")}
    assert selection.routes == {RB: "sim-b"}
    changes = selection.update(status("sim-a", 1, [RB], at=later + dt.timedelta(seconds=1)))
    assert changes == {RB: ("sim-b", "sim-a")}


def test_connected_means_a_running_process_too() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-a", 1, [RB], state="hung"))
    assert selection.routes == {}
    selection.update(status("sim-b", 2, [RB], state="running", connection="login_failed"))
    assert selection.routes == {}


def test_last_source_gone_leaves_the_contract_unselected() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-a", 1, [RB]))
    later = T0 + dt.timedelta(seconds=1)
    changes = selection.update(status("sim-a", 1, [RB], state="exited", at=later))
    assert changes == {RB: ("sim-a", None)}
    assert selection.routes == {}


def test_an_older_status_does_not_undo_a_newer_one() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-a", 1, [RB], at=T0 + dt.timedelta(seconds=5)))
    assert selection.update(status("sim-a", 1, [RB], connection="disconnected")) == {}
    assert selection.routes == {RB: "sim-a"}


def test_priority_ties_go_to_the_source_name() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-b", 1, [RB]))
    selection.update(status("sim-a", 1, [RB]))
    assert selection.routes == {RB: "sim-a"}


def test_an_unchanged_status_changes_nothing_and_keeps_the_table_object() -> None:
    selection = PrioritySelection()
    selection.update(status("sim-a", 1, [RB]))
    table = selection.routes
    assert selection.update(status("sim-a", 1, [RB], at=T0 + dt.timedelta(seconds=3))) == {}
    assert selection.routes is table


statuses = st.lists(
    st.builds(
        status,
        source=st.sampled_from(["a", "b", "c", "d"]),
        priority=st.integers(1, 3),
        subscribed=st.lists(st.sampled_from([RB, AU, M]), unique=True),
        connection=st.sampled_from(["connected", "disconnected"]),
        state=st.sampled_from(["running", "running", "exited"]),
        at=st.integers(0, 5).map(lambda s: T0 + dt.timedelta(seconds=s)),
    ),
    max_size=30,
)


@given(statuses)
def test_routes_always_match_the_rule_on_the_latest_statuses(updates: list[GatewayStatus]) -> None:
    selection = PrioritySelection()
    latest: dict[str, GatewayStatus] = {}
    for update in updates:
        before = dict(selection.routes)
        changes = selection.update(update)
        if update.source not in latest or update.at >= latest[update.source].at:
            latest[update.source] = update
        assert changes == diff(before, selection.routes)
        for vt_symbol in (RB, AU, M):
            carriers = [
                (s.priority, s.source)
                for s in latest.values()
                if s.connected and vt_symbol in s.subscribed
            ]
            expected = min(carriers)[1] if carriers else None
            assert selection.routes.get(vt_symbol) == expected
