"""The dashboard served at / from a static export (a small one built here, shaped as
Next's export with trailingSlash makes it; the real one is tested end to end in
e2e/), behind every api route; and the page that says how to build it when there
is none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tickhub_api.dashboard import IMMUTABLE, REVALIDATE, dashboard_dir, default_dir
from tickhub_runtime.settings import Settings

from .conftest import AUTH, running, wait_for
from .wsclient import open_feed, serving

CHUNK = "/_next/static/chunks/app-3f9a1c.js"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    pages = {
        "index.html": "<html>dashboard home</html>",
        "accounts/index.html": "<html>accounts page</html>",
        "logs/index.html": "<html>logs page</html>",
        "404.html": "<html>dashboard 404</html>",
        CHUNK.lstrip("/"): "console.log('chunk')",
        "favicon.ico": "icon",
    }
    for name, text in pages.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    (tmp_path / "secret.txt").write_text("outside the export")
    return out


@pytest.fixture
async def served(api_settings: Settings, export: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings.model_copy(update={"dashboard_dir": export})
    async with running(settings) as (_, client):
        yield client


async def test_pages_are_served_with_trailing_slashes(served: httpx.AsyncClient) -> None:
    home = await served.get("/", headers={})
    assert home.status_code == 200 and home.text == "<html>dashboard home</html>"
    assert home.headers["content-type"].startswith("text/html")
    accounts = await served.get("/accounts/")
    assert accounts.text == "<html>accounts page</html>"
    redirect = await served.get("/logs")
    assert redirect.status_code in (307, 308) and redirect.headers["location"].endswith("/logs/")


async def test_cache_headers_by_kind(served: httpx.AsyncClient) -> None:
    assert (await served.get("/")).headers["cache-control"] == REVALIDATE
    assert (await served.get("/accounts/")).headers["cache-control"] == REVALIDATE
    assert (await served.get("/favicon.ico")).headers["cache-control"] == REVALIDATE
    chunk = await served.get(CHUNK)
    assert chunk.status_code == 200 and chunk.headers["cache-control"] == IMMUTABLE
    # A revalidation of the home page costs nothing when it did not change.
    etag = (await served.get("/")).headers["etag"]
    again = await served.get("/", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.headers["cache-control"] == REVALIDATE


async def test_unknown_pages_get_the_dashboards_404(served: httpx.AsyncClient) -> None:
    missing = await served.get("/no/such/page")
    assert missing.status_code == 404 and missing.text == "<html>dashboard 404</html>"
    assert (await served.post("/", json={})).status_code == 405
    for escape in ("/../secret.txt", "/%2e%2e/secret.txt", "/accounts/../../secret.txt"):
        assert "outside the export" not in (await served.get(escape)).text


async def test_the_api_keeps_its_own_paths(served: httpx.AsyncClient) -> None:
    unknown = await served.get("/api/no-such-route", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/json")
    assert unknown.json()["status"] == 404
    assert (await served.get("/api/gateways", headers=AUTH)).status_code == 200
    assert (await served.get("/api/gateways", headers={"Authorization": ""})).status_code == 401
    assert (await served.get("/health")).json() == {"status": "ok"}
    assert "swagger" in (await served.get("/docs")).text.lower()
    assert (await served.get("/openapi.json")).json()["info"]["title"] == "tickhub"
    for path in ("/health/nope", "/docs/nope", "/redoc/x", "/openapi.json/x"):
        response = await served.get(path)
        assert response.status_code == 404 and "dashboard" not in response.text, path


async def test_ws_is_served_beside_the_dashboard(api_settings: Settings, export: Path) -> None:
    settings = api_settings.model_copy(update={"dashboard_dir": export})
    async with serving(settings) as api:
        await wait_for(lambda: api.link.connected, 20)
        ws, snapshot = await open_feed(api.ws_url)
        await ws.close()
        async with httpx.AsyncClient(base_url=api.http_url) as client:
            assert (await client.get("/")).text == "<html>dashboard home</html>"
    assert snapshot["type"] == "snapshot"


async def test_without_a_dashboard_root_says_how_to_build_it(api_settings: Settings) -> None:
    async with running(api_settings) as (app, client):
        root = await client.get("/")
        assert root.status_code == 200 and "make setup" in root.text
        assert root.headers["cache-control"] == REVALIDATE
        assert (await client.get("/accounts/")).status_code == 404
    assert isinstance(app, FastAPI)


def test_where_the_dashboard_is_looked_for(tmp_path: Path, export: Path) -> None:
    base = Settings(_env_file=None)
    # Unset: the checkout's frontend/out, only once it was built.
    found = default_dir()
    checkout = Path(__file__).resolve().parents[3] / "frontend" / "out"
    assert found is None or found == checkout
    assert (found is not None) == (checkout / "index.html").is_file()
    assert dashboard_dir(base) == found
    # Set: that directory, when it holds an export.
    assert dashboard_dir(base.model_copy(update={"dashboard_dir": export})) == export
    empty = tmp_path / "empty"
    empty.mkdir()
    assert dashboard_dir(base.model_copy(update={"dashboard_dir": empty})) is None
