"""Binding the PUB socket: real sockets on loopback, clear one-line errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import zmq

from tickhub_publisher.zmqpub import BindError, bind_pub, bound_endpoint


@pytest.fixture
def context() -> Iterator[zmq.Context[zmq.Socket[bytes]]]:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    yield ctx
    ctx.term()


def test_port_0_binds_a_free_port_and_reports_it(context: zmq.Context[zmq.Socket[bytes]]) -> None:
    socket = bind_pub(context, "tcp://127.0.0.1:0", sndhwm=123)
    try:
        endpoint = bound_endpoint(socket)
        assert endpoint.startswith("tcp://127.0.0.1:")
        assert int(endpoint.rsplit(":", 1)[1]) > 0
        assert socket.getsockopt(zmq.SNDHWM) == 123
        assert socket.getsockopt(zmq.LINGER) == 500  # bounded: close never hangs
    finally:
        socket.close()


def test_a_port_in_use_says_so_in_one_line(context: zmq.Context[zmq.Socket[bytes]]) -> None:
    first = bind_pub(context, "tcp://127.0.0.1:0", sndhwm=10)
    try:
        taken = bound_endpoint(first)
        with pytest.raises(BindError) as error:
            bind_pub(context, taken, sndhwm=10)
        text = str(error.value)
        assert "\n" not in text
        assert taken in text and "TICKHUB_ZMQ_PUB" in text and "in use" in text
    finally:
        first.close()


@pytest.mark.parametrize("endpoint", ["localhost:5555", "tcp://127.0.0.1", "nonsense://x:1"])
def test_a_malformed_endpoint_is_a_bind_error(
    context: zmq.Context[zmq.Socket[bytes]], endpoint: str
) -> None:
    with pytest.raises(BindError, match="cannot bind"):
        bind_pub(context, endpoint, sndhwm=10)
