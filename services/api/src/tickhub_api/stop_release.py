"""The api's part in manual stops (``tickhub_manual_stops``, written by the manager).

Enabling an account is an operator's decision that it should run, and a deleted
account's name may come back as a new account: either way an earlier operator's stop
no longer applies. The api deletes it itself, so this holds even while the gateway
service is down (it reads the bucket when it starts); a running manager also
releases the stop when it sees the account enabled.
"""

from __future__ import annotations

import asyncio

from fastapi import Request
from nats.errors import Error as NatsError
from nats.js.errors import BucketNotFoundError

from tickhub_contracts import buckets
from tickhub_runtime import kv
from tickhub_runtime.logs import get_logger

from .state import nats_of

TIMEOUT_S = 2.0


async def release_manual_stop(request: Request, name: str) -> None:
    """Best effort: the change itself is committed already; a stop that could not be
    released is logged (the gateway manager still releases it when it sees the
    account enabled)."""
    log = get_logger(__name__, source=name)
    link = nats_of(request)
    if link.nc is None or not link.connected:
        log.warning("NATS not connected: a manual stop of %s, if any, is not released", name)
        return
    try:
        bucket = await kv.open_bucket(link.nc, buckets.MANUAL_STOPS, create=False)
        await asyncio.wait_for(bucket.delete(buckets.manual_stop_key(name)), TIMEOUT_S)
    except BucketNotFoundError:
        return  # no stop was ever made
    except (NatsError, TimeoutError, OSError) as error:
        log.warning("the manual stop of %s, if any, is not released: %r", name, error)
