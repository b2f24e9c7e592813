"""The documentation pages work on a machine with no internet: every script, style and
icon they load is served by the api itself."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_assets(anonymous: httpx.AsyncClient, page: str) -> None:
    response = await anonymous.get(page)
    assert response.status_code == 200
    html = response.text
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
    assets = [u for u in urls if u.endswith((".js", ".css", ".png"))]
    assert assets, html
    outside = [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert outside == [], f"{page} reaches outside the machine: {outside}"
    assert "fonts.googleapis" not in html and "jsdelivr" not in html
    for asset in assets:
        got = await anonymous.get(asset)
        assert got.status_code == 200, asset
        assert len(got.content) > 1000, asset


async def test_swagger_ui_is_new_enough_for_openapi_3_1(anonymous: httpx.AsyncClient) -> None:
    spec = (await anonymous.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    bundle = (await anonymous.get("/docs-assets/swagger-ui-bundle.js")).text
    # Swagger UI renders OpenAPI 3.1 from 5.0 on; 4.x shows "Unable to render".
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle)
    assert version is not None
    assert int(version.group(1)) >= 5
