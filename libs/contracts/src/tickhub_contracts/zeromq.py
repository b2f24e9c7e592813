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

from .messages import MainContract, Tick

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


# --- main-contract aliases -------------------------------------------------------------

ANNOUNCEMENT = b"#"
"""Topics that begin with it carry an announcement, never a tick: a client subscribed
to everything (``b""``) tells them apart by this first byte."""


def main_contract_topic(alias: str) -> bytes:
    """Where an alias change is announced: ``b'#main.rb888.SHFE'``; the payload is a
    :class:`~.messages.MainContract` as msgpack. A client subscribed to the alias's
    own topic does not receive it; it subscribes ``b'#main.'`` too (docs/zmq.md)."""
    return ANNOUNCEMENT + b"main." + alias.encode()


def is_announcement(topic: bytes) -> bool:
    """Whether a message's topic is an announcement's (its payload is not a tick)."""
    return topic[:1] == ANNOUNCEMENT


def is_alias_copy(topic: bytes, tick: Tick) -> bool:
    """Whether a tick came under a main-contract alias's topic (``b'rb888.SHFE'``
    carrying rb2605): the same tick also came, or comes, under its own topic, so a
    client that counts each contract's ticks skips this copy."""
    return topic != f"{tick.symbol}.{tick.exchange}".encode()


_main_decoder = msgspec.msgpack.Decoder(MainContract)


def decode_main_contract(payload: bytes | bytearray | memoryview) -> MainContract:
    """Payload of a ``#main.`` topic -> MainContract; ``codec.DecodeError`` otherwise."""
    return _main_decoder.decode(payload)
