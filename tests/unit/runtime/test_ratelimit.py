"""tickhub_runtime.logs.RateLimitedLog: one line per kind per interval, none lost."""

from __future__ import annotations

import logging

import pytest

from tickhub_runtime.logs import RateLimitedLog, get_logger


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_kind_per_interval_saying_how_many_were_held(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("t.rl.kinds"), interval_s=5.0, clock=clock)
    with caplog.at_level(logging.WARNING, "t.rl.kinds"):
        assert limited.warning("decode", "bad %s", "one")
        for _ in range(9):
            assert not limited.warning("decode", "bad %s", "again")
        assert limited.warning("subject", "foreign %s", "x")  # another kind is independent
        assert limited.held() == {"decode": 9}
        clock.now += 5.0
        assert limited.warning("decode", "bad %s", "later")
    assert [r.getMessage() for r in caplog.records] == [
        "bad one",
        "foreign x",
        "bad later (and 9 more like it in the last 5 s)",
    ]
    assert limited.held() == {}


def test_held_lines_no_later_line_told_of_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("t.rl.held"), interval_s=60.0, clock=clock)
    with caplog.at_level(logging.WARNING, "t.rl.held"):
        limited.warning("decode", "bad")
        limited.warning("decode", "bad")
        limited.warning("decode", "bad")
        clock.now += 7.0
        limited.report_held("Tick on tickhub.ticks.>")
        limited.report_held("again: nothing left")
    assert [r.getMessage() for r in caplog.records] == [
        "bad",
        "Tick on tickhub.ticks.>: 2 more decode line(s) in the last 7 s were not logged",
    ]


def test_level_traceback_and_context_fields_reach_the_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limited = RateLimitedLog(get_logger("t.rl.ctx", source="sim-a"), level=logging.ERROR)
    with caplog.at_level(logging.WARNING, "t.rl.ctx"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            limited.warning("k", "failed", exc_info=True, symbol="rb2605.SHFE")
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert record.source == "sim-a"  # type: ignore[attr-defined]
    assert record.symbol == "rb2605.SHFE"  # type: ignore[attr-defined]
