"""Encoders and decoders for the messages, made once and reused.

msgspec's Encoder/Decoder objects are built per type up front: building them per
message would cost more than the encoding itself on the tick path.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from .messages import Tick, TickBatch

T = TypeVar("T")

_json_encoder = msgspec.json.Encoder()
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def encode(message: msgspec.Struct) -> bytes:
    """Any contract message -> JSON bytes (what goes on NATS)."""
    return _json_encoder.encode(message)


def decode(data: bytes, type_: type[T]) -> T:
    """JSON bytes -> a contract message; raises :class:`msgspec.ValidationError` or
    :class:`msgspec.DecodeError` on anything that does not fit."""
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = _decoders[type_] = msgspec.json.Decoder(type_)
    result: T = decoder.decode(data)
    return result


# The tick path has its own decoders: one dict lookup fewer per message. (The ZeroMQ
# stream's msgpack codec is :mod:`.zeromq`'s.)
tick_json_decoder = msgspec.json.Decoder(Tick)
tick_batch_decoder = msgspec.json.Decoder(TickBatch)

DecodeError = (msgspec.DecodeError, msgspec.ValidationError)
