"""The ZeroMQ payload: a tick as msgpack, and the topic frame it travels under.

docs/zmq.md is the client's guide to this format; keep the two in step.

msgspec writes a :class:`Tick` as a msgpack map keyed by field name. ``datetime``
(timezone-aware) becomes a msgpack timestamp (extension type -1): an exact instant
that every msgpack library reads natively; decoders give it back in UTC. The naive
``localtime`` becomes an ISO 8601 string without offset. Prices the exchange did not
send are nil.
"""

from __future__ import annotations

from tickhub_contracts import codec
from tickhub_contracts.messages import Tick

encode = codec.tick_msgpack_encoder.encode
"""Tick -> payload frame (bytes)."""

encode_into = codec.tick_msgpack_encoder.encode_into
"""Tick -> into a reusable bytearray (what the bridge uses: no bytes object per tick)."""


def decode(payload: bytes | bytearray | memoryview) -> Tick:
    """Payload frame -> Tick; raises ``codec.DecodeError`` on anything else."""
    return codec.tick_msgpack_decoder.decode(payload)


def topic(vt_symbol: str) -> bytes:
    """The topic frame: the vt_symbol as vnpy spells it, ASCII (``b'rb2605.SHFE'``)."""
    return vt_symbol.encode()
