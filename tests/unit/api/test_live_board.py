"""The api's board: newest-wins per source, news only once, bounded rings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tickhub_api.live import FORGET_AFTER, KEEP_SOURCES, LiveBoard
from tickhub_contracts.messages import (
    ContractRoute,
    GatewayStatus,
    LogRecord,
    PublisherStats,
    SourceHealth,
    TickDrops,
)

NOW = datetime(2026, 11, 24, 1, 0, 0, tzinfo=UTC)


def status(source: str = "sim-a", at: datetime = NOW, **kw: Any) -> GatewayStatus:
    return GatewayStatus(
        source=source, gateway_type="sim", priority=1, state="running", at=at, **kw
    )


def verdict(source: str = "sim-a", at: datetime = NOW, **kw: Any) -> SourceHealth:
    values: dict[str, Any] = dict(state="HEALTHY", cause="ok", reason="fine", since=NOW)
    values.update(kw)
    return SourceHealth(source=source, at=at, **values)


def test_a_status_is_news_once_and_an_older_one_never() -> None:
    board = LiveBoard()
    assert board.take(status())
    assert not board.take(status())  # the same again (a pool reply, say): no news
    assert board.take(status(restarts=1))  # same time, new content
    assert not board.take(status(at=NOW - timedelta(seconds=1), restarts=7))
    held = board.status("sim-a")
    assert held is not None and held.restarts == 1
    assert not board.take(status(at=NOW.replace(tzinfo=None)))  # a naive time is refused


def test_health_from_the_bucket_and_the_subject_is_one_piece_of_news() -> None:
    board = LiveBoard()
    assert board.take_health(verdict())
    assert not board.take_health(verdict())
    assert board.take_health(verdict(at=NOW + timedelta(seconds=2), state="DEGRADED"))
    assert not board.take_health(verdict(state="UNHEALTHY"))  # older than the held one
    held = board.health("sim-a")
    assert held is not None and held.state == "DEGRADED"
    assert board.drop_health("sim-a") and board.health("sim-a") is None
    assert not board.drop_health("sim-a")


def test_silent_sources_are_forgotten_past_the_limit() -> None:
    board = LiveBoard()
    board.take(status("old", at=NOW - FORGET_AFTER - timedelta(seconds=1)))
    for number in range(KEEP_SOURCES):
        board.take(status(f"s{number}"))
    assert board.status("old") is None and len(board.statuses) == KEEP_SOURCES


def test_routes_by_contract() -> None:
    board = LiveBoard()
    route = ContractRoute(vt_symbol="rb2605.SHFE", source="sim-a", at=NOW)
    assert board.set_route("rb2605.SHFE", route)
    assert not board.set_route("rb2605.SHFE", route)
    board.set_route("m2605.DCE", ContractRoute(vt_symbol="m2605.DCE", source="sim-b", at=NOW))
    assert board.active_sources == {"rb2605.SHFE": "sim-a", "m2605.DCE": "sim-b"}
    assert board.active_symbols("sim-a") == ["rb2605.SHFE"]
    assert board.set_route("rb2605.SHFE", None) and not board.set_route("rb2605.SHFE", None)
    assert board.active_symbols("sim-a") == []


def test_the_rings_keep_the_newest_only() -> None:
    board = LiveBoard(recent_logs=3)
    for number in range(10):
        board.logs.append(LogRecord(at=NOW, level="INFO", service="x", message=str(number)))
    assert [record.message for record in board.logs] == ["7", "8", "9"]
    assert board.failovers.maxlen == 50 and board.restarts.maxlen == 50


def stats(
    at: datetime = NOW, started_at: datetime = NOW, sources: dict[str, TickDrops] | None = None
) -> PublisherStats:
    return PublisherStats(at=at, started_at=started_at, sources=sources or {})


def test_the_publishers_counts_are_news_when_they_change() -> None:
    board = LiveBoard()

    def held() -> PublisherStats:
        assert board.publisher is not None
        return board.publisher

    assert board.publisher is None
    assert board.take_publisher(stats())  # the first word, even with nothing dropped
    later = NOW + timedelta(seconds=2)
    assert not board.take_publisher(stats(at=later))  # the same counts again: held, no news
    assert held().at == later
    one = {"a": TickDrops(stale=1)}
    assert board.take_publisher(stats(at=NOW + timedelta(seconds=4), sources=one))
    assert not board.take_publisher(stats(at=NOW + timedelta(seconds=1)))  # older: refused
    assert held().sources == one
    # A restarted publisher counts from zero again.
    restarted = stats(at=NOW + timedelta(seconds=6), started_at=NOW + timedelta(seconds=5))
    assert board.take_publisher(restarted)


def test_the_same_counts_after_a_silence_are_news() -> None:
    board = LiveBoard()
    assert board.take_publisher(stats(), stale_s=8.0)
    assert not board.take_publisher(stats(at=NOW + timedelta(seconds=8)), stale_s=8.0)
    # Silent for longer than 8 s: the views withheld the counts, now they are back.
    assert board.take_publisher(stats(at=NOW + timedelta(seconds=17)), stale_s=8.0)


def test_a_publisher_split_by_exchange_is_shown_as_one() -> None:
    board = LiveBoard()
    shfe = PublisherStats(
        at=NOW + timedelta(seconds=2), started_at=NOW, exchanges=["SHFE"], forwarded=10,
        sources={"a": TickDrops(duplicate=3), "b": TickDrops(stale=1)},
    )  # fmt: skip
    dce = PublisherStats(
        at=NOW + timedelta(seconds=1), started_at=NOW, exchanges=["DCE"], forwarded=5,
        sources={"a": TickDrops(duplicate=4, future=1)},
    )  # fmt: skip
    assert board.take_publisher(shfe)
    assert board.take_publisher(dce)  # another shard, though older: not refused
    total = board.publisher
    assert total is not None
    assert (total.forwarded, total.exchanges) == (15, ["DCE", "SHFE"])
    assert total.sources == {"a": TickDrops(duplicate=7, future=1), "b": TickDrops(stale=1)}
    assert total.at == NOW + timedelta(seconds=1)  # as fresh as its stalest shard
    # Each shard is replaced by its own next word only.
    assert not board.take_publisher(dce)
    later = PublisherStats(
        at=NOW + timedelta(seconds=3), started_at=NOW, exchanges=["DCE"], forwarded=6,
        sources={"a": TickDrops(duplicate=5, future=1)},
    )  # fmt: skip
    assert board.take_publisher(later)
    total = board.publisher
    assert total is not None and total.forwarded == 16
    assert total.sources["a"] == TickDrops(duplicate=8, future=1)


def test_a_shard_silent_for_long_is_left_out_of_the_sum() -> None:
    board = LiveBoard()
    gone = PublisherStats(at=NOW, started_at=NOW, exchanges=["DCE"], forwarded=5)
    board.take_publisher(gone)
    much_later = NOW + timedelta(minutes=11)
    board.take_publisher(PublisherStats(at=much_later, started_at=NOW, forwarded=7))
    assert board.publisher == PublisherStats(at=much_later, started_at=NOW, forwarded=7)
