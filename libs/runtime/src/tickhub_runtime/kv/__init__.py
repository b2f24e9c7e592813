"""JetStream key-value buckets (names in :mod:`tickhub_contracts.buckets`).

The service that writes a bucket creates it; readers bind to it and wait while it
does not exist yet. Buckets keep one revision per key: they hold current state, and
the bus carries the news.

Three rooms: :mod:`.bucket` opens a bucket and reads it whole, :mod:`.mirror` keeps a
reader's copy, :mod:`.writer` is a writer's newest-value store.
"""

from .bucket import JS_TIMEOUT_S, KV_DELETES, open_bucket, snapshot
from .mirror import Mirror
from .writer import RECONNECT_CHECK_S, BucketWriter

__all__ = [
    "JS_TIMEOUT_S",
    "KV_DELETES",
    "RECONNECT_CHECK_S",
    "BucketWriter",
    "Mirror",
    "open_bucket",
    "snapshot",
]
