"""JetStream key-value buckets (names in :mod:`tickhub_contracts.buckets`).

The service that writes a bucket creates it; readers bind to it and wait while it
does not exist yet. Buckets keep one revision per key: they hold current state, and
the bus carries the news.
"""

from __future__ import annotations

from nats.aio.client import Client
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

JS_TIMEOUT_S = 2.0
"""Bound on each JetStream API call: a KV read must not hold up a command for long."""


async def open_bucket(
    nc: Client,
    name: str,
    *,
    create: bool,
    description: str = "",
    js_timeout: float = JS_TIMEOUT_S,
) -> KeyValue:
    """The bucket ``name``; created (file storage, history 1) when ``create`` and it
    does not exist. Raises :class:`BucketNotFoundError` when it does not and
    ``create`` is false, and nats' errors (TimeoutError, ServiceUnavailableError:
    JetStream off) when JetStream cannot be reached."""
    js = nc.jetstream(timeout=js_timeout)
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        if not create:
            raise
    return await js.create_key_value(bucket=name, history=1, description=description)
