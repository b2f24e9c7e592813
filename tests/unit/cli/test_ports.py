import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_cli import ports
from tickhub_runtime.settings import Settings


def test_tcp_endpoints_give_host_and_port() -> None:
    assert ports.zmq_tcp_endpoint("tcp://127.0.0.1:5555") == ("127.0.0.1", 5555)
    assert ports.zmq_tcp_endpoint("tcp://*:5555") == ("0.0.0.0", 5555)
    assert ports.zmq_tcp_endpoint("tcp://[::1]:5555") == ("::1", 5555)


@pytest.mark.parametrize(
    "endpoint", ["tcp://127.0.0.1:0", "tcp://*:*", "ipc:///tmp/ticks", "inproc://ticks"]
)
def test_endpoints_without_a_fixed_tcp_port_need_no_check(endpoint: str) -> None:
    assert ports.zmq_tcp_endpoint(endpoint) is None


@pytest.mark.parametrize(
    "endpoint", ["127.0.0.1:5555", "tcp://127.0.0.1", "tcp://:5555", "tcp://h:x", "tcp://h:70000"]
)
def test_malformed_endpoints_are_named(endpoint: str) -> None:
    with pytest.raises(ports.EndpointError, match="ZeroMQ endpoint"):
        ports.zmq_tcp_endpoint(endpoint)


@given(st.integers(1, 65535))
def test_any_port_round_trips(port: int) -> None:
    assert ports.zmq_tcp_endpoint(f"tcp://127.0.0.1:{port}") == ("127.0.0.1", port)


def test_nats_url_port_defaults_to_4222() -> None:
    assert ports.nats_url_port("nats://nats:4222") == ("nats", 4222)
    assert ports.nats_url_port("nats://example") == ("example", 4222)
    assert ports.nats_url_port("127.0.0.1:5000") == ("127.0.0.1", 5000)


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_up_checks_bundled_nats_zmq_and_api_ports() -> None:
    settings = _settings(
        nats_port=4333,
        zmq_pub="tcp://127.0.0.1:5666",
        zmq_recovery="tcp://127.0.0.1:5667",
        api_port=8111,
    )
    wanted = ports.ports_for(settings, ["gateway", "publisher", "api"], bundled_nats=True)
    assert [(p.port, p.setting) for p in wanted] == [
        (4333, "TICKHUB_NATS_PORT"),
        (5666, "TICKHUB_ZMQ_PUB"),
        (5667, "TICKHUB_ZMQ_RECOVERY"),
        (8111, "TICKHUB_API_PORT"),
    ]


def test_no_recovery_endpoint_binds_no_port() -> None:
    settings = _settings(zmq_pub="tcp://127.0.0.1:5666", zmq_recovery="")
    wanted = ports.ports_for(settings, ["publisher"], bundled_nats=False)
    assert [p.setting for p in wanted] == ["TICKHUB_ZMQ_PUB"]


def test_a_named_nats_server_and_other_services_bind_nothing() -> None:
    settings = _settings(nats_url="nats://elsewhere:4222")
    assert ports.ports_for(settings, ["gateway", "health"], bundled_nats=False) == []


def test_a_port_held_by_a_listener_is_reported_in_use() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        wanted = [ports.Port("127.0.0.1", port, "TICKHUB_API_PORT")]
        assert ports.problem(wanted) == f"port {port} (TICKHUB_API_PORT) is already in use"
    assert ports.problem(wanted) is None


def test_a_port_set_twice_is_reported() -> None:
    wanted = [
        ports.Port("127.0.0.1", 5555, "TICKHUB_ZMQ_PUB"),
        ports.Port("127.0.0.1", 5555, "TICKHUB_API_PORT"),
    ]
    assert ports.problem(wanted) == "port 5555 is set twice (TICKHUB_ZMQ_PUB and TICKHUB_API_PORT)"


def test_an_address_not_on_this_machine_is_a_configuration_error() -> None:
    # 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
    wanted = [ports.Port("192.0.2.1", 8000, "TICKHUB_API_PORT")]
    with pytest.raises(ports.EndpointError, match="not on this machine"):
        ports.problem(wanted)
