"""The ZeroMQ PUB socket ticks go out on, with its memory bound.

A PUB socket keeps one queue per subscriber. SNDHWM caps each queue: past it, ZeroMQ
drops that subscriber's messages (never blocks, never grows) while every other
subscriber goes on receiving. The subscriber sees the hole as a jump in ``seq``.
"""

from __future__ import annotations

import zmq

LINGER_MS = 500
"""On close, how long queued ticks may still go out: bounded, so a stuck subscriber
cannot hold up a shutdown."""


class BindError(RuntimeError):
    """The PUB socket could not bind (port in use, bad endpoint): one line for a human."""


def bind_pub(
    context: zmq.Context[zmq.Socket[bytes]], endpoint: str, sndhwm: int
) -> zmq.Socket[bytes]:
    socket = context.socket(zmq.PUB)
    socket.setsockopt(zmq.SNDHWM, sndhwm)
    socket.setsockopt(zmq.LINGER, LINGER_MS)
    # A subscriber whose machine vanished keeps its queue until TCP notices; keepalive
    # makes that minutes rather than hours.
    socket.setsockopt(zmq.TCP_KEEPALIVE, 1)
    socket.setsockopt(zmq.TCP_KEEPALIVE_IDLE, 60)
    socket.setsockopt(zmq.TCP_KEEPALIVE_INTVL, 10)
    if "[" in endpoint:
        socket.setsockopt(zmq.IPV6, 1)
    try:
        socket.bind(endpoint)
    except zmq.ZMQError as error:
        socket.close(0)
        raise BindError(
            f"cannot bind the ZeroMQ PUB socket to {endpoint} (TICKHUB_ZMQ_PUB): {error.strerror}"
        ) from None
    return socket


def bound_endpoint(socket: zmq.Socket[bytes]) -> str:
    """Where the socket really listens (resolves port 0 and wildcards' ports)."""
    endpoint = socket.getsockopt(zmq.LAST_ENDPOINT)
    assert isinstance(endpoint, bytes)
    return endpoint.decode()
