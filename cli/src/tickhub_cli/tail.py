"""`tickhub tail [SYMBOL ...]`: print the ticks arriving on the ZeroMQ endpoint.

One line per tick: exchange time (China time, the exchanges' own clock), vt_symbol,
the publisher's seq, the source, last price, best bid/ask with their volumes and the
day's volume. ``GAP +n`` marks n missed ticks (seq jumped), ``RESET`` a seq that
went back (the publisher restarted). Ctrl-C ends it with exit code 0.

A main-contract alias (``tickhub tail rb888.SHFE``) shows its ticks under the alias
followed by the real contract, and the announcements of its main contract
(``#main.rb888.SHFE``) as lines of their own; with no symbol, every tick, alias copy
and announcement is shown (docs/zmq.md, "Main-contract aliases").
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import TextIO

import zmq

from tickhub_contracts import codec, subjects, zeromq
from tickhub_contracts.messages import MainContract, Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.settings import Settings

POLL_MS = 250


class EndpointError(ValueError):
    pass


def connect_endpoint(bind_endpoint: str) -> str:
    """Where a client on this machine connects to reach a PUB bound at ``bind_endpoint``.

    A bind to every interface (``*``, ``0.0.0.0``, ``[::]``) is reached on loopback.
    """
    transport, sep, address = bind_endpoint.partition("://")
    if not sep:
        raise EndpointError(f"{bind_endpoint!r} is not a ZeroMQ endpoint (tcp://HOST:PORT)")
    if transport != "tcp":
        return bind_endpoint
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit() or int(port) == 0:
        raise EndpointError(
            f"{bind_endpoint!r} has no fixed port to connect to (set TICKHUB_ZMQ_PUB)"
        )
    if host in ("*", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("[::]", "::", "[*]"):
        host = "[::1]"
    return f"tcp://{host}:{port}"


def _price(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


class GapTracker:
    """Per contract, how the seq moved since the previous tick."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def forget(self, topic: str) -> None:
        """An alias now names another contract: its seq starts another sequence."""
        self._last.pop(topic, None)

    def mark(self, vt_symbol: str, seq: int | None) -> str:
        if seq is None:
            return "NO-SEQ"
        last = self._last.get(vt_symbol)
        self._last[vt_symbol] = seq
        if last is None or seq == last + 1:
            return ""
        if seq > last + 1:
            return f"GAP +{seq - last - 1}"
        return "RESET"


def render(tick: Tick, mark: str, topic: str | None = None) -> str:
    """One tick's line; ``topic``: the alias it came under (``rb888.SHFE``), if any."""
    at = tick.datetime.astimezone(CHINA_TZ).strftime("%m-%d %H:%M:%S.%f")[:-3]
    name = tick.vt_symbol if topic is None else f"{topic}={tick.vt_symbol}"
    line = (
        f"{at} {name:<14} seq={tick.seq if tick.seq is not None else '-':<7} "
        f"{tick.source:<10} last={_price(tick.last_price):<10} "
        f"bid={_price(tick.bid_price_1)}x{tick.bid_volume_1:g} "
        f"ask={_price(tick.ask_price_1)}x{tick.ask_volume_1:g} vol={tick.volume:g}"
    )
    return f"{line}  {mark}" if mark else line


def render_main(main: MainContract) -> str:
    """An announcement's line: the alias, its contract for the trading day, and why."""
    at = main.decided_at.astimezone(CHINA_TZ).strftime("%m-%d %H:%M:%S.%f")[:-3]
    was = f"was {main.previous}" if main.previous else "first"
    return (
        f"{at} {main.alias:<14} MAIN {main.vt_symbol} for {main.trading_day.isoformat()} "
        f"({was}): {main.reason}"
    )


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Outside the main thread signal() refuses; Ctrl-C still reaches the main thread.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, handler)


def run(
    settings: Settings,
    symbols: list[str],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print ticks until Ctrl-C (exit 0); 2 for bad arguments."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        for vt_symbol in symbols:
            subjects.split_vt_symbol(vt_symbol)
        endpoint = connect_endpoint(settings.zmq_pub)
    except ValueError as error:
        print(f"tickhub tail: {error}", file=err)
        return 2
    wanted = {zeromq.topic(vt_symbol) for vt_symbol in symbols}
    # An alias's announcements too (a contract that is no alias has none).
    wanted |= {zeromq.main_contract_topic(vt_symbol) for vt_symbol in symbols}
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    if endpoint.startswith("tcp://["):
        socket.setsockopt(zmq.IPV6, 1)
    # ZeroMQ subscriptions match prefixes ('rb2605.SHFE' would take 'rb2605.SHFE2'):
    # they only thin the traffic; the exact test is on each topic below.
    for topic in wanted or {b""}:
        socket.setsockopt(zmq.SUBSCRIBE, topic)
    socket.connect(endpoint)
    _stop_on_sigterm()
    print(
        f"tickhub tail: {endpoint}, {' '.join(symbols) or 'every contract'} (Ctrl-C to stop)",
        file=err,
        flush=True,
    )
    gaps = GapTracker()
    decode = zeromq.decode
    announcement = zeromq.ANNOUNCEMENT
    try:
        while True:
            if not socket.poll(POLL_MS):
                continue
            while True:  # everything already here, then one flush
                try:
                    frames = socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if len(frames) != 2 or (wanted and frames[0] not in wanted):
                    continue
                if frames[0].startswith(announcement):
                    _announced(frames, gaps, out, err)
                    continue
                try:
                    tick = decode(frames[1])
                except codec.DecodeError as error:
                    print(f"tickhub tail: undecodable tick on {frames[0]!r}: {error}", file=err)
                    continue
                # Per topic: an alias's copies carry its contract's seq as well.
                under = frames[0].decode(errors="replace")
                alias = None if under == tick.vt_symbol else under
                out.write(render(tick, gaps.mark(under, tick.seq), alias) + "\n")
            out.flush()
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # `tickhub tail | head`
        if out is sys.stdout:  # else Python reports the pipe again when it exits
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        socket.close(0)
        context.term()


def _announced(frames: list[bytes], gaps: GapTracker, out: TextIO, err: TextIO) -> None:
    """A ``#``-topic message: a main contract's is shown, any other skipped."""
    if not frames[0].startswith(zeromq.main_contract_topic("")):
        return  # an announcement of a kind this tail does not know
    try:
        main = zeromq.decode_main_contract(frames[1])
    except codec.DecodeError as error:
        print(f"tickhub tail: undecodable announcement on {frames[0]!r}: {error}", file=err)
        return
    gaps.forget(main.alias)
    out.write(render_main(main) + "\n")


if __name__ == "__main__":  # the CLI wires `tickhub tail`; this serves tests and scripts
    sys.exit(run(Settings(), sys.argv[1:]))
