"""`tickhub publisher` / `python -m tickhub_publisher`: run the publisher service."""

import asyncio

import uvloop

from tickhub_runtime import service

from .app import main

if __name__ == "__main__":
    # Measured on 2 cores with nats-server, sender and client beside it: uvloop cuts
    # the publisher's p99 at 20k ticks/s from ~5 ms to ~2 ms and at 2k/s from ~0.9 to
    # ~0.6 ms (services/publisher/scripts/measure.py). The tick path wakes the loop
    # per NATS read, so the loop's own cost is a large share of each tick.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    service.run("publisher", main)
