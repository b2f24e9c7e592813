"""The routing the publisher follows: per contract, whose ticks may go out.

The failover service owns routing and keeps it in the ``tickhub_routing`` bucket
(key ``<exchange>.<symbol>``, value :class:`~tickhub_contracts.messages.ContractRoute`).
The publisher only reads it, through :class:`tickhub_runtime.kv.Mirror`, which
re-reads the whole bucket after every reconnect and on a restart, so the publisher's
view converges on the bucket whatever it missed.

From each entry the publisher needs one thing: the *eligible* sources (every
routable source in hot mode, the active one in cold mode). :func:`parse_value` turns
a bucket entry into that; the bridge turns it into a flag per source feed (a source's
ticks of one contract).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import ContractRoute, FailoverMode
from tickhub_runtime.kv import Mirror


class Eligible(NamedTuple):
    """What one routing entry says about a contract, as the bridge uses it."""

    sources: frozenset[str]
    """Sources whose ticks may be forwarded. Never empty."""
    order: tuple[str, ...]
    """The same, best first (for logs)."""
    active: str
    mode: FailoverMode
    degraded: bool


class InvalidRoute(ValueError):
    """A bucket entry the publisher cannot follow (foreign key or value)."""


def eligible_of(route: ContractRoute) -> Eligible:
    """The route's eligible sources; an empty ``eligible`` means ``[source]``."""
    order = route.eligible_sources()
    return Eligible(frozenset(order), order, route.source, route.mode, route.degraded)


def vt_symbol_of_key(key: str) -> str:
    """``'SHFE.rb2605'`` -> ``'rb2605.SHFE'``; raises :class:`InvalidRoute` otherwise."""
    try:
        return buckets.routing_vt_symbol(key)
    except subjects.InvalidToken as error:
        raise InvalidRoute(str(error)) from None


def parse_value(vt_symbol: str, raw: bytes) -> Eligible:
    """The eligible sources a bucket value gives ``vt_symbol`` (the contract of its key).

    Raises :class:`InvalidRoute` when the value is not a ContractRoute, names another
    contract than its key, or a source that cannot be in a subject: an entry that
    cannot be trusted must not route anything.
    """
    try:
        route = codec.decode(raw, ContractRoute)
    except codec.DecodeError as error:
        raise InvalidRoute(f"not a ContractRoute: {error}") from None
    if route.vt_symbol != vt_symbol:
        raise InvalidRoute(f"it names {route.vt_symbol!r}, its key {vt_symbol!r}")
    eligible = eligible_of(route)
    for source in eligible.order:
        try:
            subjects.token(source, "source name")
        except subjects.InvalidToken as error:
            raise InvalidRoute(str(error)) from None
    return eligible


def mirror(nc: Client, on_change: Callable[[str, bytes | None], None]) -> Mirror[bytes]:
    """Follow the routing bucket; ``on_change(key, raw)`` per changed key (None: gone).

    Values are handed over raw: the bridge decodes them so that a value it cannot
    read removes the route instead of leaving the previous one in force. The bucket
    is not created here (its writer, the failover service, does): until it exists
    the mirror retries and nothing is routed.
    """
    return Mirror(nc, buckets.ROUTING, bytes, on_change=on_change, create=False)
