"""``python -m tickhub_gateway.worker``: one source's worker process (:mod:`.app`)."""

import asyncio

import uvloop

from .app import main

if __name__ == "__main__":
    # Measured (python -m bench, three hot sources of 1,000 contracts in 500 ms
    # bursts): uvloop takes the median burst drain from ~69 to ~59 ms; its cheaper
    # socket writes are what the pump spends its time in between the gateway's ticks.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    main()
