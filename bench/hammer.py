"""``python -m bench.hammer --endpoint tcp://... --seconds N``: a client hammering the
publisher's recovery endpoint while the tick path is measured.

A DEALER socket keeps ``--in-flight`` requests outstanding, flat out, alternating the
two expensive kinds: a ``snapshot`` of every topic (the biggest reply the server
makes, ``recovery_max_ticks`` ticks, encoded afresh each time) and a ``since`` of 100
contracts from seq 0 (ring reads). It prints ``ready`` once it has its first reply,
then at the end (its time is up, or SIGTERM) one JSON line: replies received,
requests sent, the ticks they carried, the seconds.
"""

from __future__ import annotations

import argparse
import json
import signal
import time
from types import FrameType

import zmq

from tickhub_contracts import recovery
from tickhub_contracts.recovery import RecoveryRequest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hammer")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--in-flight", type=int, default=50)
    args = parser.parse_args()

    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(args.endpoint)
    hello = recovery.encode(RecoveryRequest(op="hello"))
    dealer.send_multipart([b"", hello])
    if not dealer.poll(30_000):
        raise SystemExit("the recovery endpoint did not answer within 30 s")
    frames = dealer.recv_multipart()
    epoch = recovery.decode_reply(frames[1]).epoch
    snapshot = recovery.encode(RecoveryRequest(op="snapshot", prefixes=[""]))
    # Names the publisher may or may not know: a since reads their rings either way.
    since = recovery.encode(RecoveryRequest(op="since", epoch=epoch, after=[]))
    print("ready", flush=True)

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)  # the run is measured: report what was done
    sent = replies = ticks = 0
    in_flight = 0
    known: list[tuple[str, int]] = []
    started = time.monotonic()
    deadline = started + args.seconds
    while time.monotonic() < deadline and not stopping:
        while in_flight < args.in_flight:
            request = snapshot if sent % 2 == 0 or not known else since
            dealer.send_multipart([b"", request])
            sent += 1
            in_flight += 1
        if not dealer.poll(100):
            continue
        while True:
            try:
                frames = dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            in_flight -= 1
            replies += 1
            header = recovery.decode_reply(frames[1])
            ticks += header.count
            if header.count and not known:
                # The first snapshot names the contracts: ask their whole rings from now on.
                topics = [frames[i].decode() for i in range(2, len(frames), 2)]
                known = [(topic, 0) for topic in topics if "888." not in topic][:100]
                since = recovery.encode(RecoveryRequest(op="since", epoch=epoch, after=known))
    elapsed = time.monotonic() - started
    print(json.dumps({"replies": replies, "sent": sent, "ticks": ticks, "seconds": elapsed}))
    dealer.close(0)
    context.term()


if __name__ == "__main__":
    main()
