"""Pre-flight check of the TCP ports `tickhub up` (or one service) is about to bind.

A port already taken would otherwise surface minutes later as a crash loop of one
child buried in the logs; checking first turns it into one clear line and exit 2.
The check binds each port the way the servers will (SO_REUSEADDR, so a socket in
TIME_WAIT is not mistaken for a live one) and releases it at once; a port taken in
the short gap after the check still fails in the service, which the supervisor logs.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from tickhub_runtime.settings import Settings


class EndpointError(ValueError):
    """An endpoint setting that cannot be bound as written."""


@dataclass(frozen=True)
class Port:
    """One TCP port a service will bind, named by the setting that chose it."""

    host: str
    port: int
    setting: str

    def describe(self) -> str:
        return f"port {self.port} ({self.setting})"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the kernel's pick), for a server to bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def zmq_tcp_endpoint(endpoint: str) -> tuple[str, int] | None:
    """``tcp://HOST:PORT`` -> ``(host, port)``; None for transports with no TCP port
    (``ipc://``, ``inproc://``) and for port 0 / ``*`` (ZeroMQ picks a free one).

    Raises :class:`EndpointError` for a tcp endpoint without a usable port.
    """
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        raise EndpointError(f"ZeroMQ endpoint {endpoint!r} must look like tcp://HOST:PORT")
    if scheme != "tcp":
        return None
    host, colon, port_text = rest.rpartition(":")
    if not colon or not host:
        raise EndpointError(f"ZeroMQ endpoint {endpoint!r} must look like tcp://HOST:PORT")
    if port_text == "*":
        return None
    try:
        port = int(port_text)
    except ValueError:
        raise EndpointError(f"ZeroMQ endpoint {endpoint!r} has no numeric port") from None
    if not 0 <= port <= 65535:
        raise EndpointError(f"ZeroMQ endpoint {endpoint!r}: port {port} is out of range")
    if port == 0:
        return None
    host = host.strip("[]")
    return ("0.0.0.0" if host == "*" else host), port


def nats_url_port(url: str) -> tuple[str, int]:
    """``nats://host:port`` -> ``(host, port)`` (port 4222 when omitted)."""
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    try:
        port = parts.port or 4222
    except ValueError:
        raise EndpointError(f"NATS URL {url!r} has an invalid port") from None
    return parts.hostname or "127.0.0.1", port


def ports_for(settings: Settings, services: list[str], bundled_nats: bool) -> list[Port]:
    """The TCP ports that ``services`` (and the bundled nats-server) will bind."""
    ports: list[Port] = []
    if bundled_nats and settings.nats_port:
        ports.append(Port("127.0.0.1", settings.nats_port, "TICKHUB_NATS_PORT"))
    if "publisher" in services:
        zmq = zmq_tcp_endpoint(settings.zmq_pub)
        if zmq is not None:
            ports.append(Port(zmq[0], zmq[1], "TICKHUB_ZMQ_PUB"))
        recovery = zmq_tcp_endpoint(settings.zmq_recovery) if settings.zmq_recovery else None
        if recovery is not None:
            ports.append(Port(recovery[0], recovery[1], "TICKHUB_ZMQ_RECOVERY"))
    if "api" in services and settings.api_port:
        ports.append(Port(settings.api_host, settings.api_port, "TICKHUB_API_PORT"))
    return ports


def in_use(port: Port) -> bool:
    """True when ``port`` cannot be bound because something else holds it.

    Other bind errors (an address not on this machine, no permission) are raised:
    they are configuration mistakes with their own message, not a busy port.
    """
    try:
        infos = socket.getaddrinfo(
            port.host, port.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise EndpointError(f"{port.setting}: cannot resolve host {port.host!r}") from error
    family, type_, proto, _, address = infos[0]
    with socket.socket(family, type_, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            if error.errno == errno.EADDRNOTAVAIL:
                raise EndpointError(
                    f"{port.setting}: address {port.host} is not on this machine"
                ) from error
            if error.errno == errno.EACCES:
                raise EndpointError(
                    f"{port.setting}: no permission to bind {port.describe()}"
                ) from error
            raise
    return False


def problem(ports: list[Port]) -> str | None:
    """One line saying why ``ports`` cannot all be bound, or None when they can."""
    seen: dict[int, Port] = {}
    for port in ports:
        other = seen.get(port.port)
        if other is not None:
            return f"port {port.port} is set twice ({other.setting} and {port.setting})"
        seen[port.port] = port
    for port in ports:
        if in_use(port):
            return f"{port.describe()} is already in use"
    return None
