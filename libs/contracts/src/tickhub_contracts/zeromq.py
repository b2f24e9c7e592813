"""The ZeroMQ stream: a tick as msgpack, and the topic frame it travels under.

Every tick leaves the publisher as two frames, ``[topic, payload]``. Written by the
publisher, read by ``tickhub tail``, the tests and every client; docs/zmq.md is the
client's guide to this format; keep the two in step.

msgspec writes a :class:`Tick` as a msgpack map keyed by field name. ``datetime``
(timezone-aware) becomes a msgpack timestamp (extension type -1): an exact instant
that every msgpack library reads natively; decoders give it back in UTC. The naive
``localtime`` becomes an ISO 8601 string without offset. Prices the exchange did not
send are nil.
"""

from __future__ import annotations

import msgspec

from .messages import Tick

# Made once: building them per tick would cost more than the encoding itself.
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Tick)

encode = _encoder.encode
"""Tick -> payload frame (bytes)."""

encode_into = _encoder.encode_into
"""Tick -> into a reusable bytearray (what the publisher uses: no bytes object per tick)."""


def decode(payload: bytes | bytearray | memoryview) -> Tick:
    """Payload frame -> Tick; raises ``codec.DecodeError`` on anything else."""
    return _decoder.decode(payload)


def topic(vt_symbol: str) -> bytes:
    """The topic frame: the vt_symbol as vnpy spells it, ASCII (``b'rb2605.SHFE'``)."""
    return vt_symbol.encode()
