import io

from hypothesis import given
from hypothesis import strategies as st

from tickhub_cli.supervisor import Backoff, LinePump


def test_backoff_doubles_on_quick_deaths_up_to_the_cap() -> None:
    backoff = Backoff(initial_s=0.5, max_s=4.0, stable_s=30.0)
    delays = [backoff.next_delay(1.0) for _ in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_backoff_starts_over_after_a_stable_run() -> None:
    backoff = Backoff(initial_s=0.5, max_s=30.0, stable_s=30.0)
    backoff.next_delay(1.0)
    backoff.next_delay(1.0)
    assert backoff.next_delay(31.0) == 0.5
    assert backoff.next_delay(1.0) == 1.0


STRUCTURED = b"2026-11-24T09:00:00.123Z INFO    gateway source=sim-a symbol=- worker started"


def test_structured_lines_pass_through_and_others_are_labelled() -> None:
    out = io.BytesIO()
    pump = LinePump("gateway", out)
    pump.feed(STRUCTURED + b"\nTraceback (most recent call last):\n  File")
    pump.feed(b' "x.py", line 1\n')
    pump.close()
    assert out.getvalue().splitlines() == [
        STRUCTURED,
        b"gateway | Traceback (most recent call last):",
        b'gateway |   File "x.py", line 1',
    ]


def test_a_last_line_without_newline_is_not_lost() -> None:
    out = io.BytesIO()
    pump = LinePump("api", out)
    pump.feed(b"partial")
    assert out.getvalue() == b""
    pump.close()
    assert out.getvalue() == b"api | partial\n"


@given(
    st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), max_size=8),
    st.lists(st.integers(1, 17), min_size=1, max_size=10),
)
def test_how_the_output_is_chunked_never_changes_the_lines(
    lines: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(line + b"\n" for line in lines)
    whole = io.BytesIO()
    LinePump("x", whole).feed(data)
    chunked = io.BytesIO()
    pump = LinePump("x", chunked)
    position, i = 0, 0
    while position < len(data):
        step = cuts[i % len(cuts)]
        pump.feed(data[position : position + step])
        position += step
        i += 1
    pump.close()
    assert chunked.getvalue() == whole.getvalue()
    assert whole.getvalue().count(b"\n") == len(lines)
