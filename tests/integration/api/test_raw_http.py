"""Odd bytes on the wire (what no HTTP library sends) get a 4xx, never a 500."""

from __future__ import annotations

import socket

import pytest

from tests.integration.api.conftest import TOKEN, ApiProcess

AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/accounts?%ff%fe=1&x=%zz HTTP/1.1\r\nHost: a\r\n" + AUTH + b"\r\n",
        b"GET /api/accounts/%ff HTTP/1.1\r\nHost: a\r\n" + AUTH + b"\r\n",
        b"GET /api/accounts/../../etc/passwd HTTP/1.1\r\nHost: a\r\n" + AUTH + b"\r\n",
        b"GET /api/accounts HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
        b"GET /api/accounts?is_enabled=maybe HTTP/1.1\r\nHost: a\r\n" + AUTH + b"\r\n",
        b"POST /api/accounts HTTP/1.1\r\nHost: a\r\n" + AUTH + b"Content-Length: -5\r\n\r\n",
        b"POST /api/accounts HTTP/1.1\r\nHost: a\r\n"
        + AUTH
        + b"Content-Type: application/json; charset=latin-1\r\nContent-Length: 12\r\n\r\n"
        + b'{"name":"\xe9"}',
        b"PUT /api/accounts/1 HTTP/1.1\r\nHost: a\r\n"
        + AUTH
        + b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"priority"',
    ],
    ids=[
        "bad-query-encoding",
        "bad-path-encoding",
        "dot-dot",
        "non-ascii-token",
        "bool-query",
        "negative-length",
        "latin1-body",
        "truncated-body",
    ],
)
def test_odd_requests_are_4xx(api_process: ApiProcess, request_bytes: bytes) -> None:
    answer = _exchange(api_process.port, request_bytes)
    status_line = answer.split(b"\r\n", 1)[0]
    if answer:  # a truncated body may end the connection without an answer
        status = int(status_line.split()[1])
        assert 400 <= status < 500, answer[:300]
    assert b"Traceback" not in api_process.log_text().encode()
    assert "Exception in ASGI application" not in api_process.log_text()
