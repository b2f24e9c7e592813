"""Bad input is a 4xx naming what is wrong, and the database is left as it was."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from tests.integration.api import bodies
from tests.integration.api.conftest import AUTH, TOKEN, ApiProcess, Rows


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _ctp_with(**settings: Any) -> dict[str, Any]:
    body = bodies.ctp()
    body["ctp"] = {**body["ctp"], **settings}
    return body


# (id, body, status, field named in errors[] or None)
BAD_CREATES: list[tuple[str, Any, int, str | None]] = [
    ("priority-string", bodies.sim(priority="1"), 422, "priority"),
    ("priority-float", bodies.sim(priority=1.5), 422, "priority"),
    ("priority-negative", bodies.sim(priority=-1), 422, "priority"),
    ("priority-huge", bodies.sim(priority=10**30), 422, "priority"),
    ("priority-above-max", bodies.sim(priority=1001), 422, "priority"),
    ("priority-missing", _without(bodies.sim(), "priority"), 422, "priority"),
    ("enabled-string", bodies.sim(is_enabled="yes"), 422, "is_enabled"),
    ("unknown-gateway-type", bodies.sim(gateway_type="ib"), 422, "gateway_type"),
    ("gateway-type-null", bodies.sim(gateway_type=None), 422, "gateway_type"),
    ("name-empty", bodies.sim(name=""), 422, "name"),
    ("name-unicode", bodies.sim(name="行情-a"), 422, "name"),
    ("name-emoji", bodies.sim(name="sim-\U0001f600"), 422, "name"),
    ("name-dot", bodies.sim(name="sim.a"), 422, "name"),
    ("name-wildcard", bodies.sim(name="sim-*"), 422, "name"),
    ("name-space", bodies.sim(name="sim a"), 422, "name"),
    ("name-nul", bodies.sim(name="sim\x00a"), 422, "name"),
    ("name-too-long", bodies.sim(name="a" * 65), 422, "name"),
    ("name-number", bodies.sim(name=7), 422, "name"),
    ("canary-bad", bodies.sim(canary="rb2605"), 422, "canary"),
    ("canary-unknown-exchange", bodies.sim(canary="rb2605.LME"), 422, "canary"),
    ("canary-unknown-product", bodies.sim(canary="zz2605.SHFE"), 422, "canary"),
    ("canary-other-exchanges-product", bodies.sim(canary="rb2605.DCE"), 422, "canary"),
    ("contracts-not-list", bodies.sim(contracts="rb2605.SHFE"), 422, "contracts"),
    ("contract-bad", bodies.sim(contracts=["rb2605.SHFE", "x"]), 422, "contracts.1"),
    ("contracts-too-many", bodies.sim(contracts=["rb2605.SHFE"] * 2001), 422, "contracts"),
    ("capacity-zero", bodies.sim(capacity=0), 422, "capacity"),
    ("capacity-huge", bodies.sim(capacity=100_001), 422, "capacity"),
    ("capacity-string", bodies.sim(capacity="5000"), 422, "capacity"),
    ("excluded-not-list", bodies.sim(excluded="CZCE"), 422, "excluded"),
    ("excluded-unknown-exchange", bodies.sim(excluded=["LME"]), 422, "excluded.0"),
    ("excluded-lower-exchange", bodies.sim(excluded=["SR.czce"]), 422, "excluded.0"),
    ("excluded-wildcard", bodies.sim(excluded=["*.CZCE"]), 422, "excluded.0"),
    ("sim-delay-negative", bodies.sim(sim={"delay_ms": -1}), 422, "sim.delay_ms"),
    ("sim-rate-zero", bodies.sim(sim={"ticks_per_second": 0}), 422, "sim.ticks_per_second"),
    ("sim-seed-huge", bodies.sim(sim={"seed": 2**64}), 422, "sim.seed"),
    ("sim-unknown-field", bodies.sim(sim={"speed": 1}), 422, "sim.speed"),
    ("sim-with-ctp", bodies.sim(ctp=bodies.ctp()["ctp"]), 422, "ctp"),
    ("ctp-without-settings", _without(bodies.ctp(), "ctp"), 422, "ctp"),
    ("ctp-with-sim", bodies.ctp(sim={}), 422, "sim"),
    ("ctp-no-fronts", _ctp_with(md_fronts=[]), 422, "ctp.md_fronts"),
    ("ctp-front-scheme", _ctp_with(md_fronts=["http://a:1"]), 422, "ctp.md_fronts.0"),
    ("ctp-front-port", _ctp_with(md_fronts=["tcp://a:65536"]), 422, "ctp.md_fronts.0"),
    ("ctp-td-front-port", _ctp_with(td_front="tcp://a:0"), 422, "ctp.td_front"),
    ("ctp-userid-long", _ctp_with(userid="1" * 16), 422, "ctp.userid"),
    ("ctp-userid-blank", _ctp_with(userid="a b"), 422, "ctp.userid"),
    ("ctp-broker-symbols", _ctp_with(broker_id="99-99"), 422, "ctp.broker_id"),
    ("ctp-password-long", _ctp_with(password="p" * 41), 422, "ctp.password"),
    ("ctp-password-unicode", _ctp_with(password="密码密码"), 422, "ctp.password"),
    ("ctp-password-number", _ctp_with(password=123456), 422, "ctp.password"),
    ("ctp-environment", _ctp_with(environment="staging"), 422, "ctp.environment"),
    ("unknown-field", bodies.sim(owner="me"), 422, "owner"),
    ("body-list", [bodies.sim()], 422, ""),
    ("body-string", "sim", 422, ""),
    ("body-null", None, 422, ""),
]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [case[1:] for case in BAD_CREATES],
    ids=[case[0] for case in BAD_CREATES],
)
async def test_bad_create_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, rows: Rows, body: Any, status: int, field: str | None
) -> None:
    before = await rows()
    response = await client.post("/api/accounts", json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == "validation_error"
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await rows() == before


INVALID = "validation_error"
RAW_BODIES: list[tuple[str, bytes, int, str]] = [
    ("malformed", b'{"name": "sim-x", ', 400, "malformed_json"),
    ("not-json", b"name=sim-x", 400, "malformed_json"),
    ("trailing-garbage", json.dumps(bodies.sim()).encode() + b"}", 400, "malformed_json"),
    (
        "nan",
        json.dumps(bodies.sim(sim={"delay_ms": float("nan")})).encode(),
        422,
        "validation_error",
    ),
    ("lone-surrogate", b'{"name": "sim-\\ud800", "gateway_type": "sim"}', 422, INVALID),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, 400, "malformed_json"),
    ("empty", b"", 422, INVALID),
    ("latin1", '{"name": "sim-é"}'.encode("latin-1"), 400, "malformed_json"),
]


@pytest.mark.parametrize(
    ("content", "status", "kind"),
    [case[1:] for case in RAW_BODIES],
    ids=[case[0] for case in RAW_BODIES],
)
async def test_malformed_bodies_are_4xx(
    client: httpx.AsyncClient, rows: Rows, content: bytes, status: int, kind: str
) -> None:
    account = (await client.post("/api/accounts", json=bodies.sim())).json()
    before = await rows()
    headers = {"Content-Type": "application/json"}
    for method, url in (("POST", "/api/accounts"), ("PUT", f"/api/accounts/{account['id']}")):
        response = await client.request(method, url, content=content, headers=headers)
        assert response.status_code == status, (method, response.text)
        assert response.json()["type"] == kind
    assert await rows() == before


BAD_UPDATES: list[tuple[str, Any, str]] = [
    ("null-name", {"name": None}, "name"),
    ("null-priority", {"priority": None}, "priority"),
    ("null-enabled", {"is_enabled": None}, "is_enabled"),
    ("null-sim", {"sim": None}, "sim"),
    ("negative-priority", {"priority": -5}, "priority"),
    ("unicode-name", {"name": "名字"}, "name"),
    ("empty-name", {"name": ""}, "name"),
    ("wrong-type-contracts", {"contracts": {"a": 1}}, "contracts"),
    ("unknown-type", {"gateway_type": "fix"}, "gateway_type"),
    ("ctp-on-sim", {"ctp": {"userid": "1"}}, "ctp"),
    ("null-sim-field", {"sim": {"seed": None}}, "sim.seed"),
    ("unknown-field", {"id": 5}, "id"),
    ("unknown-canary-product", {"canary": "zz2605.SHFE"}, "canary"),
]


@pytest.mark.parametrize(
    ("body", "field"), [case[1:] for case in BAD_UPDATES], ids=[case[0] for case in BAD_UPDATES]
)
async def test_bad_update_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, rows: Rows, body: Any, field: str
) -> None:
    account = (await client.post("/api/accounts", json=bodies.sim())).json()
    before = await rows()
    response = await client.put(f"/api/accounts/{account['id']}", json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await rows() == before


async def test_a_canary_of_an_unknown_product_is_a_422_naming_it(
    client: httpx.AsyncClient, rows: Rows
) -> None:
    """A canary must be a product of the session table: its hours say when it must
    tick. A contract of an unknown product may still be subscribed (``contracts``)."""
    before = await rows()
    body = bodies.sim(canary="zz2605.SHFE", contracts=["zz2605.SHFE"])
    response = await client.post("/api/accounts", json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "canary" and error["location"] == "body"
    assert "unknown product 'zz' on SHFE" in error["message"]
    assert await rows() == before
    created = await client.post("/api/accounts", json=bodies.sim(canary="ad2605.SHFE"))
    assert created.status_code == 201, created.text
    assert created.json()["canary"] == "ad2605.SHFE"


@pytest.mark.parametrize("account_id", ["0", "-1", "abc", "1.5", str(2**31), str(10**40)])
async def test_bad_ids_are_422(client: httpx.AsyncClient, account_id: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        body = {"priority": 1} if method == "PUT" else None
        response = await client.request(method, f"/api/accounts/{account_id}", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["location"] == "path"


async def test_unknown_routes_and_methods_are_typed(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/accounts/1/nothing")
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    method = await client.patch("/api/accounts")
    assert method.status_code == 405 and method.json()["type"] == "method_not_allowed"
    form = await client.post("/api/accounts", data={"name": "x"})
    assert form.status_code == 415 and form.json()["type"] == "unsupported_media_type"


# --- 10 MB bodies, on the real server ---------------------------------------------

TEN_MB = 10 * 1024 * 1024


def test_a_10mb_body_is_refused_with_413(api_process: ApiProcess) -> None:
    payload = json.dumps(bodies.sim(contracts=["rb2605.SHFE"] * (TEN_MB // 14))).encode()
    assert len(payload) > TEN_MB
    with httpx.Client(base_url=api_process.url, headers=AUTH, timeout=30) as client:
        response = client.post(
            "/api/accounts", content=payload, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["type"] == "payload_too_large"

        def chunks() -> Any:
            for start in range(0, len(payload), 65536):
                yield payload[start : start + 65536]

        # No Content-Length (chunked): refused once past the limit.
        chunked = client.post(
            "/api/accounts", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413
        assert chunked.json()["type"] == "payload_too_large"
        assert client.get("/api/accounts").json() == []


def _read_response(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_the_413_comes_before_the_body_is_sent(api_process: ApiProcess) -> None:
    """The server answers on the headers alone: it never waits for (or holds) 10 MB."""
    with socket.create_connection(("127.0.0.1", api_process.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/accounts HTTP/1.1\r\nHost: api\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n".encode()
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {TEN_MB}\r\n\r\n".encode()
            + b'{"name": '
        )
        started = time.monotonic()
        head = _read_response(sock, 10)
        assert head.startswith(b"HTTP/1.1 413"), head
        assert time.monotonic() - started < 5


def test_a_chunked_body_is_cut_off_at_the_limit(api_process: ApiProcess) -> None:
    """Without Content-Length the server counts: past the limit it answers 413 while
    the client is still sending."""
    with socket.create_connection(("127.0.0.1", api_process.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/accounts HTTP/1.1\r\nHost: api\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n".encode()
            + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        sent = 0
        answer = b""
        sock.settimeout(0.05)
        # Send up to 10 MB; the answer must come long before the end.
        while sent < TEN_MB:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            if b"\r\n\r\n" in answer:
                break
        if b"\r\n\r\n" not in answer:
            answer += _read_response(sock, 10)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 4 * 1024 * 1024, sent
