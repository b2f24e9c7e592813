"""The dashboard (Next.js static export, ``frontend/out``) served at ``/``, from the
same origin as ``/api`` and ``/ws`` so the browser needs no CORS and no second port.

It is mounted after every api endpoint and never answers under them: an unknown
``/api/...`` path stays a JSON 404, not the dashboard's 404 page. Next puts content
hashes in the names under ``/_next/static/``, so those are cached for good; every
other file (the HTML above all) is revalidated on each load, so a rebuilt dashboard
shows at the next reload.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

import tickhub_api
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

log = get_logger(__name__)

RESERVED = ("/api", "/ws", "/docs", "/docs-assets", "/redoc", "/health", "/openapi.json")
"""The api's own paths: the dashboard never answers under them."""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

NOT_BUILT = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>tickhub</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}</style></head>
<body>
<h1>tickhub</h1>
<p>The dashboard is not built. Build it with <code>make setup</code> (it builds
<code>frontend/</code> into <code>frontend/out</code>), then restart the api; or point
<code>TICKHUB_DASHBOARD_DIR</code> at a built export.</p>
<p>The api itself is up: <a href="/docs">/docs</a> (Swagger UI), <a href="/redoc">/redoc</a>,
<a href="/health">/health</a>.</p>
</body>
</html>
"""


def default_dir() -> Path | None:
    """The checkout's ``frontend/out`` when the api runs from a checkout and the
    dashboard was built; None otherwise (an installed package has no frontend)."""
    candidate = Path(tickhub_api.__file__).resolve().parents[4] / "frontend" / "out"
    return candidate if (candidate / "index.html").is_file() else None


def dashboard_dir(settings: Settings) -> Path | None:
    """Where the dashboard is: ``TICKHUB_DASHBOARD_DIR``, else :func:`default_dir`.
    None (with a warning for a configured directory) when there is no built one."""
    configured = settings.dashboard_dir
    if configured is None:
        return default_dir()
    if not (configured / "index.html").is_file():
        log.warning("TICKHUB_DASHBOARD_DIR %s holds no index.html: no dashboard", configured)
        return None
    return configured


def _reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED)


class DashboardFiles(StaticFiles):
    """StaticFiles (``html=True``: ``/accounts/`` -> ``accounts/index.html``) with
    cache headers by kind."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        immutable = scope["path"].startswith("/_next/static/")
        response.headers["cache-control"] = IMMUTABLE if immutable else REVALIDATE
        return response


class Dashboard:
    """The static files, except under the api's own paths (a 404 Problem there)."""

    def __init__(self, directory: Path) -> None:
        self.files = DashboardFiles(directory=directory, html=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _reserved(scope["path"]):
            raise HTTPException(404)
        await self.files(scope, receive, send)


def install(app: FastAPI, directory: Path | None) -> None:
    """Serve the dashboard at ``/``; call after every other endpoint is added."""
    if directory is None:

        @app.get("/", include_in_schema=False)
        async def not_built() -> HTMLResponse:
            return HTMLResponse(NOT_BUILT, headers={"cache-control": REVALIDATE})

        return
    log.info("serving the dashboard from %s", directory)
    app.mount("/", Dashboard(directory), name="dashboard")
