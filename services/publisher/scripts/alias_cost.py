"""Micro benchmark: what main-contract aliases cost the tick path, in ns per tick.

    uv run --frozen python services/publisher/scripts/alias_cost.py

Feeds the bridge pre-encoded batches of ten CTP-sized ticks, with aliases off and on,
and reports the calling thread's CPU time per forwarded tick (the event loop's share;
ZeroMQ's I/O thread is not counted), the best of ``--repeats`` interleaved runs:

* ``per tick``: the per-tick path after the batch's JSON decode (routing flag,
  arbiter, msgpack, sends, aliases) on ticks decoded beforehand, PUB socket with no
  subscriber: where the alias work is, without the decode's noise;
* ``on_batch``: the bridge's NATS callback whole, with no subscriber and with one TCP
  subscriber taking everything.

Two mixes: 50 products with 20 months each (one tick in 20 a main contract's; in a
real market the main carries a larger share of the ticks), and every tick a main
contract's (the worst case: each tick goes out twice).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import threading
import time

import zmq

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute, Tick, TickBatch
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_publisher.bridge import Bridge, SourceFeed
from tickhub_universe.main_contract import decide

START = dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHINA_TZ)
PRODUCTS = [
    "rb", "hc", "ss", "cu", "al", "zn", "pb", "ni", "sn", "au", "ag", "bu", "ru", "fu", "sp",
    "sc", "lu", "bc", "nr", "ec", "a", "b", "m", "y", "p", "c", "cs", "jd", "l", "v", "pp",
    "eg", "eb", "pg", "i", "j", "jm", "lh", "rr", "fb",
    "SR", "CF", "TA", "MA", "FG", "RM", "OI", "SA", "UR", "AP",
]  # fmt: skip
EXCHANGE_OF = {p: "SHFE" for p in PRODUCTS[:15]} | {p: "INE" for p in PRODUCTS[15:20]}
EXCHANGE_OF |= {p: "DCE" for p in PRODUCTS[20:40]} | {p: "CZCE" for p in PRODUCTS[40:]}


def symbol(product: str, month: int) -> str:
    year, mm = 26 + month // 12, month % 12 + 1
    return (
        f"{product}{year % 10}{mm:02d}"
        if EXCHANGE_OF[product] == "CZCE"
        else f"{product}{year}{mm:02d}"
    )


def contracts(months: int) -> list[tuple[str, str, float]]:
    """(symbol, exchange, open interest): the first month of each product leads."""
    return [
        (symbol(p, m), EXCHANGE_OF[p], 100_000.0 / (m + 1)) for p in PRODUCTS for m in range(months)
    ]


BOOK = {
    f"{side}_{kind}_{level}": (3500.0 - level if side == "bid" else 3500.0 + level)
    if kind == "price"
    else float(10 * level)
    for side in ("bid", "ask")
    for kind in ("price", "volume")
    for level in range(1, 6)
}


def template(sym: str, exchange: str, at: dt.datetime, rounds: int, oi: float) -> Tick:
    """A full tick (five book levels), as large as a CTP tick."""
    return Tick(
        symbol=sym,
        exchange=exchange,
        datetime=at,
        volume=float(rounds),
        turnover=3.5e9 + rounds,
        open_interest=oi,
        last_price=3500.0 + rounds % 7,
        source="bench",
        received_ns=time.time_ns(),
        gateway_name="bench",
        name=sym,
        **BOOK,  # type: ignore[arg-type]
    )


def batches(universe: list[tuple[str, str, float]], n: int) -> list[tuple[str, bytes]]:
    """``n`` ticks round the universe, in batches of ten of one exchange, pre-encoded."""
    by_exchange: dict[str, list[tuple[str, float]]] = {}
    for sym, exchange, oi in universe:
        by_exchange.setdefault(exchange, []).append((sym, oi))
    out = []
    k = 0
    rounds = 0
    while k < n:
        rounds += 1
        for exchange, symbols in by_exchange.items():
            for first in range(0, len(symbols), 10):
                at = START + dt.timedelta(milliseconds=rounds * 500)
                ticks = [
                    template(sym, exchange, at, rounds, oi)
                    for sym, oi in symbols[first : first + 10]
                ]
                subject = subjects.ticks("bench", exchange)
                out.append((subject, codec.encode(TickBatch(ticks=ticks))))
                k += len(ticks)
    return out


def run(
    universe: list[tuple[str, str, float]],
    feed: list[tuple[str, bytes]],
    *,
    aliases: bool,
    subscriber: bool,
    decoded: bool,
) -> tuple[float, int, int]:
    """ns per forwarded tick, forwarded, aliased. ``decoded``: time the per-tick path
    after the batch's JSON decode only (routing flag, arbiter, encode, sends, aliases),
    on ticks decoded beforehand; else ``on_batch`` whole."""
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind("tcp://127.0.0.1:0")
    endpoint = pub.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]
    stop = threading.Event()
    reader = None
    if subscriber:
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(endpoint)

        def drain() -> None:
            while not stop.is_set():
                if sub.poll(50):
                    while True:
                        try:
                            sub.recv(zmq.NOBLOCK)
                        except zmq.Again:
                            break
            sub.close(0)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        time.sleep(0.3)  # the subscription reaches the PUB socket
    bridge = Bridge(pub, decide=decide if aliases else None, first_look_s=0.0)
    if bridge.mains is not None:
        bridge.mains.load({}, {})
    for sym, exchange, _ in universe:
        vt_symbol = f"{sym}.{exchange}"
        route = ContractRoute(vt_symbol=vt_symbol, source="bench", at=START, eligible=["bench"])
        bridge.on_route_entry(buckets.routing_key(vt_symbol), codec.encode(route))
    warm = len(universe) // 10 + 1  # every contract once: feeds, lanes, first decisions
    on_batch = bridge.on_batch
    for subject, data in feed[:warm]:
        on_batch(subject, data)
    before = bridge.counters.forwarded
    pairs: list[tuple[SourceFeed, Tick]] = []
    if decoded:
        streams = bridge._streams
        for subject, data in feed[warm:]:
            feeds = streams[subject].feeds
            pairs.extend((feeds[t.symbol], t) for t in codec.tick_batch_decoder.decode(data).ticks)
    forward = bridge._forward
    gc.collect()
    gc.disable()
    # The calling thread's CPU time: the event loop's share, whatever else the
    # machine runs (ZeroMQ's I/O thread and the draining thread are not counted).
    started = time.thread_time_ns()
    if decoded:
        for source_feed, tick in pairs:
            forward(source_feed, tick)
    else:
        for subject, data in feed[warm:]:
            on_batch(subject, data)
    elapsed = time.thread_time_ns() - started
    gc.enable()
    forwarded = bridge.counters.forwarded - before
    stop.set()
    if reader is not None:
        reader.join()
    pub.close(0)
    context.term()
    return elapsed / forwarded, forwarded, bridge.counters.aliased


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    for months, label in ((20, "50 products x 20 months"), (1, "every tick a main's")):
        universe = contracts(months)
        feed = batches(universe, args.ticks)
        for decoded, subscriber in ((True, False), (False, False), (False, True)):
            results: dict[bool, list[tuple[float, int, int]]] = {False: [], True: []}
            for _ in range(args.repeats):  # interleaved: a busy spell hits both alike
                for aliases in (False, True):
                    results[aliases].append(
                        run(
                            universe,
                            feed,
                            aliases=aliases,
                            subscriber=subscriber,
                            decoded=decoded,
                        )
                    )
            off = min(s[0] for s in results[False])
            on = min(s[0] for s in results[True])
            _, forwarded, aliased = results[True][0]
            what = "per tick" if decoded else "on_batch"
            print(
                f"{label:<24} {what} {'1 SUB' if subscriber else 'no SUB':<6}: "
                f"aliases off {off:7.0f} ns/tick, on {on:7.0f} ns/tick, "
                f"+{on - off:5.0f} ns ({(on - off) / off:+.1%}); "
                f"{aliased} alias copies over {forwarded} ticks",
                flush=True,
            )


if __name__ == "__main__":
    main()
