"""A complete tickhub ZeroMQ client: subscribe, decode, detect gaps.

    pip install pyzmq msgspec
    python zmq_client.py                        # every contract, tcp://127.0.0.1:5555
    python zmq_client.py rb2605.SHFE au2602.SHFE
    python zmq_client.py --endpoint tcp://10.0.0.5:5555 --count 100 rb2605.SHFE

Self-contained on purpose: it needs nothing from tickhub, only the wire format
described in docs/zmq.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
from zoneinfo import ZoneInfo

import msgspec
import zmq

CHINA = ZoneInfo("Asia/Shanghai")


class Tick(msgspec.Struct, kw_only=True):
    """The payload: a msgpack map with these keys (vnpy's TickData plus tickhub's own)."""

    symbol: str
    exchange: str
    datetime: dt.datetime  # msgpack timestamp; decoded in UTC
    name: str = ""
    volume: float = 0.0
    turnover: float = 0.0
    open_interest: float = 0.0
    last_price: float | None = None  # None: the exchange sent no price
    last_volume: float = 0.0
    limit_up: float | None = None
    limit_down: float | None = None
    open_price: float | None = None
    high_price: float | None = None
    low_price: float | None = None
    pre_close: float | None = None
    bid_price_1: float | None = None
    bid_price_2: float | None = None
    bid_price_3: float | None = None
    bid_price_4: float | None = None
    bid_price_5: float | None = None
    ask_price_1: float | None = None
    ask_price_2: float | None = None
    ask_price_3: float | None = None
    ask_price_4: float | None = None
    ask_price_5: float | None = None
    bid_volume_1: float = 0.0
    bid_volume_2: float = 0.0
    bid_volume_3: float = 0.0
    bid_volume_4: float = 0.0
    bid_volume_5: float = 0.0
    ask_volume_1: float = 0.0
    ask_volume_2: float = 0.0
    ask_volume_3: float = 0.0
    ask_volume_4: float = 0.0
    ask_volume_5: float = 0.0
    localtime: dt.datetime | None = None  # naive: the gateway machine's clock
    gateway_name: str = ""
    source: str = ""  # the data source (account) it came through
    received_ns: int = 0  # when the gateway took it, ns since the epoch
    live: bool = True  # always True on this socket
    in_session: bool = True  # always True on this socket
    seq: int | None = None  # per contract 1, 2, 3 ... from the publisher
    epoch: int = 0  # the publisher run seq counts in: another one is a restart


def main() -> None:
    parser = argparse.ArgumentParser(description="Print tickhub ticks from ZeroMQ.")
    parser.add_argument("symbols", nargs="*", help="vt_symbols such as rb2605.SHFE (none: all)")
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--count", type=int, default=0, help="stop after this many ticks")
    args = parser.parse_args()

    context = zmq.Context()
    socket = context.socket(zmq.SUB)
    wanted = {symbol.encode() for symbol in args.symbols}
    # Subscriptions match topic prefixes, so compare the topic exactly below too.
    for topic in wanted or {b""}:
        socket.setsockopt(zmq.SUBSCRIBE, topic)
    socket.connect(args.endpoint)

    decoder = msgspec.msgpack.Decoder(Tick)
    last_seq: dict[str, tuple[int, int]] = {}  # vt_symbol -> (epoch, seq)
    received = 0
    try:
        while not args.count or received < args.count:
            topic, payload = socket.recv_multipart()
            if wanted and topic not in wanted:
                continue
            if topic.startswith(b"#"):
                continue  # an announcement (a main contract changed), not a tick
            tick = decoder.decode(payload)
            vt_symbol = topic.decode()
            assert tick.seq is not None
            epoch, previous = last_seq.get(vt_symbol, (tick.epoch, None))
            note = ""
            if epoch != tick.epoch:
                note = "  RESET: the publisher restarted"
            elif previous is not None and tick.seq > previous + 1:
                # tickhub-client (docs/clients.md) fills these from the recovery endpoint.
                note = f"  GAP: missed {tick.seq - previous - 1}"
            last_seq[vt_symbol] = (tick.epoch, tick.seq)
            at = tick.datetime.astimezone(CHINA)  # exchange time, China's clock
            print(
                f"{at:%H:%M:%S.%f} {vt_symbol} seq={tick.seq} source={tick.source} "
                f"last={tick.last_price} bid={tick.bid_price_1} ask={tick.ask_price_1}"
                f"{note}",
                flush=True,
            )
            received += 1
    except KeyboardInterrupt:
        pass
    finally:
        socket.close(0)
        context.term()


if __name__ == "__main__":
    main()
