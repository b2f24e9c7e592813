import logging

import pytest

from tickhub_publisher.ratelimit import RateLimitedLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_kind_per_interval_saying_how_many_were_held(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("t.ratelimit"), interval_s=5.0, clock=clock)
    with caplog.at_level(logging.WARNING, "t.ratelimit"):
        assert limited.warning("decode", "bad %s", "one")
        for _ in range(9):
            assert not limited.warning("decode", "bad %s", "again")
        assert limited.warning("subject", "foreign %s", "x")  # another kind is independent
        clock.now += 5.0
        assert limited.warning("decode", "bad %s", "later")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "bad one",
        "foreign x",
        "bad later (and 9 more like it in the last 5 s)",
    ]


def test_context_fields_reach_the_record(caplog: pytest.LogCaptureFixture) -> None:
    limited = RateLimitedLog(logging.getLogger("t.ratelimit2"))
    with caplog.at_level(logging.WARNING, "t.ratelimit2"):
        limited.warning("k", "m", source="sim-a", symbol="rb2605.SHFE")
    assert caplog.records[0].source == "sim-a"  # type: ignore[attr-defined]
    assert caplog.records[0].symbol == "rb2605.SHFE"  # type: ignore[attr-defined]
