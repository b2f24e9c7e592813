"""Bearer token on every /api route; /health open."""

from __future__ import annotations

import stat
import subprocess
import sys

import httpx
import pytest
from pydantic import SecretStr

from tests.integration.api import bodies
from tests.integration.api.conftest import TOKEN, Rows, api_env
from tickhub_accounts.secretfiles import api_token
from tickhub_api.main import create_app
from tickhub_runtime.settings import Settings

ROUTES = [
    ("GET", "/api/accounts", None),
    ("POST", "/api/accounts", bodies.sim()),
    ("GET", "/api/accounts/1", None),
    ("PUT", "/api/accounts/1", {"priority": 1}),
    ("DELETE", "/api/accounts/1", None),
    ("GET", "/api/nothing-here", None),
]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token-0123456789abcdef",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN[:-1]}",
        "Bearer",
        f"Bearer {TOKEN}x",
        "Bearer \u00e9\u00e8",
    ],
    ids=["none", "wrong", "basic", "prefix", "empty", "longer", "non-ascii"],
)
async def test_without_the_token_every_api_route_is_401(
    anonymous: httpx.AsyncClient, rows: Rows, authorization: str | None
) -> None:
    # bytes: httpx would refuse a non-ASCII str header; a client may still send one.
    headers = {b"Authorization": authorization.encode("latin-1")} if authorization else {}
    for method, path, body in ROUTES:
        response = await anonymous.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["type"] == "unauthorized"
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer")
        assert ('error="invalid_token"' in challenge) == (authorization is not None)
    assert await rows() == []


async def test_malformed_or_huge_bodies_without_token_are_401_not_parsed(
    anonymous: httpx.AsyncClient,
) -> None:
    # The token is checked before the body is read: no hint about the body's validity.
    malformed = await anonymous.post(
        "/api/accounts", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 401
    huge = await anonymous.post(
        "/api/accounts", content=b"x" * 11_000_000, headers={"Content-Type": "application/json"}
    )
    assert huge.status_code == 401


async def test_health_is_open(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/health")).json() == {"status": "ok"}
    ready = await anonymous.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "nats": "ok"}


async def test_the_token_opens_the_api(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/accounts", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200


def test_local_run_generates_a_private_token_once(settings: Settings) -> None:
    first = api_token(settings)
    path = settings.data_dir / "api-token"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert api_token(settings) == first  # read back, not regenerated


def test_a_weak_token_is_refused_at_start(api_settings: Settings) -> None:
    weak = api_settings.model_copy(update={"api_token": SecretStr("short")})
    with pytest.raises(Exception, match="at least 16 characters"):
        create_app(weak)


def test_the_api_process_says_what_is_wrong_in_one_line(api_settings: Settings) -> None:
    env = api_env(api_settings, TICKHUB_API_TOKEN="short", TICKHUB_API_PORT="0")
    result = subprocess.run(
        [sys.executable, "-m", "tickhub_api"], env=env, capture_output=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "at least 16 characters" in lines[0]
    assert "Traceback" not in result.stderr.decode()
