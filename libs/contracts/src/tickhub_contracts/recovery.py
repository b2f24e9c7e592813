"""The recovery endpoint beside the PUB socket: what a client asks, what it is answered.

The publisher binds a ROUTER socket at ``TICKHUB_ZMQ_RECOVERY``. A client connects a
REQ socket (one request at a time) or a DEALER socket (several in flight; it sends an
empty frame first, as REQ does). docs/clients.md is the client's guide; keep the two
in step.

Request: one frame, a msgpack map (:class:`RecoveryRequest`).
Reply: ``[header, topic, payload, topic, payload, ...]``: the header a msgpack map
(:class:`RecoveryReply`), then ``header.count`` pairs of frames exactly as the PUB
socket sends them (:mod:`.zeromq`: topic, tick payload).

Three requests (``op``):

``hello``
    The publisher's ``epoch`` and limits; no ticks.
``snapshot``
    The latest tick of every contract (and main-contract alias) whose topic is one of
    ``topics`` or begins with one of ``prefixes``, in topic order, at most
    ``max_ticks`` of them: ``more`` names the last topic answered when there are more
    (ask again with ``start_after`` set to it). Their ``live`` is False: the state of
    the market, not a new trade; their ``seq`` says where each contract's stream
    stands.
``since``
    For each ``(vt_symbol, seq)`` of ``after``, in order, the contract's ticks with a
    greater seq, as they went out, from the contract's ring. ``epoch`` must be the
    publisher's: a seq of another epoch means nothing here (``code`` "epoch": take a
    snapshot). A contract whose ring no longer reaches ``seq + 1`` is named in
    ``too_old`` (take a snapshot of it). At most ``max_ticks`` ticks: ``done`` says
    how many entries of ``after`` were answered whole; ask again for the rest.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Op = Literal["hello", "snapshot", "since"]

Code = Literal["", "bad_request", "epoch"]
"""Why a reply is not ok: a request the publisher cannot read or answer
(``bad_request``, ``error`` says why), or a ``since`` of another epoch."""


class RecoveryRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a client asks (a msgpack map; keys it does not need may be left out)."""

    op: Op
    id: int = 0
    """Echoed in the reply: a DEALER client matches replies to requests by it."""
    topics: list[str] = msgspec.field(default_factory=list)
    """snapshot: exact topics (vt_symbols, aliases)."""
    prefixes: list[str] = msgspec.field(default_factory=list)
    """snapshot: topic prefixes, as ZeroMQ subscriptions match (``rb`` takes every
    rb month and ``rb888.SHFE``)."""
    start_after: str = ""
    """snapshot: the ``more`` of the previous reply (topics after it only)."""
    epoch: int = 0
    """since: the epoch of the seqs in ``after``."""
    after: list[tuple[str, int]] = msgspec.field(default_factory=list)
    """since: ``(vt_symbol, seq)`` pairs: send the ticks after ``seq``."""


class RecoveryReply(msgspec.Struct, kw_only=True):
    """The header frame of a reply."""

    id: int
    ok: bool
    epoch: int
    """The publisher's epoch (as on every tick it sends)."""
    code: Code = ""
    error: str = ""
    count: int = 0
    """Pairs of frames (topic, tick payload) that follow the header."""
    more: str = ""
    """snapshot: the last topic answered when more match (``start_after`` for the rest)."""
    done: int = 0
    """since: entries of ``after`` answered whole (the rest: ask again)."""
    too_old: list[str] = msgspec.field(default_factory=list)
    """since: contracts whose ring no longer holds the ticks asked for."""
    ring: int = 0
    """hello: ticks kept per contract."""
    max_ticks: int = 0
    """hello: ticks answered per reply at most."""


_request_decoder = msgspec.msgpack.Decoder(RecoveryRequest)
_reply_decoder = msgspec.msgpack.Decoder(RecoveryReply)
_encoder = msgspec.msgpack.Encoder()


def encode(message: RecoveryRequest | RecoveryReply) -> bytes:
    return _encoder.encode(message)


def decode_request(frame: bytes | bytearray | memoryview) -> RecoveryRequest:
    """Raises ``msgspec.DecodeError``/``ValidationError`` for anything else."""
    return _request_decoder.decode(frame)


def decode_reply(frame: bytes | bytearray | memoryview) -> RecoveryReply:
    return _reply_decoder.decode(frame)
