import logging
import threading
import time

from hypothesis import given
from hypothesis import strategies as st

from tickhub_gateway.sources.ctp.pacing import STEP_S, Pacer, allowance
from tickhub_runtime.logs import get_logger


@given(
    per_second=st.integers(1, 100_000),
    elapsed=st.floats(0, 1, allow_nan=False),
    sent=st.integers(0, 100_000),
)
def test_a_window_never_allows_more_than_the_pace(per_second: int, elapsed: float, sent: int):
    allowed = allowance(per_second, elapsed, sent)
    assert allowed >= 0
    assert sent + allowed <= max(per_second, sent)


def test_the_allowance_is_spread_over_the_window_not_spent_at_its_start():
    assert allowance(1000, 0.0, 0) == int(1000 * STEP_S)
    assert allowance(1000, 0.5, 0) == int(1000 * (0.5 + STEP_S))
    assert allowance(1000, 0.99, 0) == 1000


def test_the_pacer_sends_everything_in_order_and_once():
    sent: list[tuple[float, str]] = []
    done = threading.Event()
    symbols = [f"rb{n:04d}" for n in range(600)]

    def send(symbol: str) -> None:
        sent.append((time.monotonic(), symbol))
        if len(sent) == len(symbols):
            done.set()

    pacer = Pacer(send, 1000, get_logger("test"))
    try:
        pacer.put(symbols)
        pacer.put(symbols[-10:])  # a repeat while still waiting is not sent twice
        assert done.wait(10), f"{len(sent)} of {len(symbols)} sent"
    finally:
        pacer.close()
    # In order, each once; the pace itself is allowance()'s, proven above (timing a
    # thread here would fail on a loaded machine, not on a wrong pace).
    assert [symbol for _, symbol in sent] == symbols


def test_a_discarded_symbol_is_not_sent_and_close_stops_the_thread(caplog):
    release = threading.Event()
    sent: list[str] = []

    def send(symbol: str) -> None:
        release.wait(5)
        sent.append(symbol)

    pacer = Pacer(send, 10, get_logger("test"))
    pacer.put(["a", "b", "c"])
    pacer.discard("c")
    release.set()
    deadline = time.monotonic() + 5
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    pacer.close()
    assert sent == ["a", "b"]
    assert pacer.waiting == 0


def test_a_long_subscription_says_how_long_it_will_take(caplog):
    caplog.set_level(logging.INFO)
    done = threading.Event()
    count = 0

    def send(symbol: str) -> None:
        nonlocal count
        count += 1
        if count == 150:
            done.set()

    pacer = Pacer(send, 100, get_logger("test"))
    try:
        pacer.put([f"s{n}" for n in range(150)])
        assert done.wait(5)
    finally:
        pacer.close()
    assert any("subscribing 150 contracts at 100/s" in r.getMessage() for r in caplog.records)
