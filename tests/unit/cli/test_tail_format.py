"""`tickhub tail`'s pure parts: where it connects, what a line says."""

from __future__ import annotations

import datetime as dt

import pytest

from tickhub_cli.tail import EndpointError, GapTracker, connect_endpoint, render
from tickhub_contracts.messages import Tick


@pytest.mark.parametrize(
    ("bound", "connect"),
    [
        ("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555"),
        ("tcp://0.0.0.0:5555", "tcp://127.0.0.1:5555"),
        ("tcp://*:5556", "tcp://127.0.0.1:5556"),
        ("tcp://[::]:5555", "tcp://[::1]:5555"),
        ("tcp://10.1.2.3:5555", "tcp://10.1.2.3:5555"),
        ("ipc:///tmp/ticks", "ipc:///tmp/ticks"),
    ],
)
def test_a_wildcard_bind_is_reached_on_loopback(bound: str, connect: str) -> None:
    assert connect_endpoint(bound) == connect


@pytest.mark.parametrize("bound", ["tcp://127.0.0.1:0", "tcp://127.0.0.1", "localhost:5555"])
def test_an_endpoint_without_a_fixed_port_is_a_clear_error(bound: str) -> None:
    with pytest.raises(EndpointError):
        connect_endpoint(bound)


def test_gaps_and_resets_are_marked_per_contract() -> None:
    gaps = GapTracker()
    assert gaps.mark("rb2605.SHFE", 1) == ""
    assert gaps.mark("au2602.SHFE", 7) == ""  # first seen: nothing to compare
    assert gaps.mark("rb2605.SHFE", 2) == ""
    assert gaps.mark("rb2605.SHFE", 5) == "GAP +2"
    assert gaps.mark("rb2605.SHFE", 1) == "RESET"
    assert gaps.mark("au2602.SHFE", 8) == ""


def test_a_line_shows_time_in_china_contract_seq_source_prices_and_volume() -> None:
    tick = Tick(
        symbol="rb2605",
        exchange="SHFE",
        datetime=dt.datetime(2026, 11, 24, 13, 0, 0, 500_000, dt.UTC),  # as msgpack gives it
        last_price=3500.0,
        bid_price_1=3499.0,
        bid_volume_1=10,
        ask_price_1=None,
        volume=1234,
        source="sim-a",
        seq=42,
    )
    line = render(tick, "GAP +3")
    assert line.startswith("11-24 21:00:00.500 rb2605.SHFE")
    for part in ("seq=42", "sim-a", "last=3500", "bid=3499x10", "ask=-x0", "vol=1234"):
        assert part in line
    assert line.endswith("GAP +3")
