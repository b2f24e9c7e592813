"""The FastAPI application: built by :func:`create_app` from one Settings object."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from tortoise.context import TortoiseContext

from tickhub_accounts.crypto import load_secret_box
from tickhub_accounts.db import redact, tortoise_config
from tickhub_accounts.secretfiles import api_token
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from . import dashboard, docs, errors, ws
from .endpoints import api_router, health
from .guard import Guard
from .resolved import ResolvedCache
from .state import NatsLink
from .ws import WsTiming

log = get_logger(__name__)

DESCRIPTION = """
The account pool of the tickhub market-data hub.

**Authentication**: every `/api` route needs `Authorization: Bearer <token>`, the
token being `TICKHUB_API_TOKEN` or, on the local run, the one `tickhub up` generated
into `<data dir>/api-token` (use the *Authorize* button). `/health` and
`/health/ready` are open.

**Secrets** (`ctp.password`, `ctp.auth_code`) are write-only: stored encrypted,
never returned (responses say `password_set`), never logged.

**Contract universe**: `/api/universe` holds the desk's entries (products,
exchanges, contracts, patterns, main-contract aliases); `/api/universe/resolved` shows
what they resolve to on today's trading day and which accounts carry each contract;
`/api/instruments` searches the instrument catalog the gateway keeps.

**Live feed**: `/ws` (WebSocket) sends a snapshot, then every gateway status, health
verdict, routing change, failover and restart event and log record as it happens,
and a short notice when the catalog, the universe, the allocation or a main contract
changes; the token goes in the first message (docs/ws.md). The dashboard is served
at `/`.

**Errors** share one shape (`Problem`): `type`, `title`, `status`, `detail` and, for
invalid input, `errors[]` naming each field.
"""


REFRESH_MARGIN_S = 15.0
"""A catalog refresh may take the manager its query timeout and then the time to store
40,000 instruments: the api waits that long and this much more."""


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    *,
    ws_timing: WsTiming | None = None,
    clock: Callable[[], datetime] = _now,
) -> FastAPI:
    """The app. Reads the token and secret key now (a bad one fails here, at start,
    with a clear message); connects to the database and NATS lazily, so it serves
    /health and /ws and reports in /health/ready while either is missing.
    ``ws_timing``: the /ws timeouts (tests shorten them). ``clock``: what the
    universe's trading day is worked out from (tests fix it)."""
    settings = settings or Settings()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    # No pool floor: with one, asyncpg tries to restore it every second while the
    # database is down and logs a traceback each time; requests open what they need.
    config = (
        tortoise_config(
            url,
            timeout_s=settings.database_timeout_s,
            application_name="tickhub-api",
            min_connections=0,
        )
        if url
        else None
    )
    token = api_token(settings)
    box = load_secret_box(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        link = app.state.nats = NatsLink(settings)
        link.start()
        context = None
        if config is None:
            # Serve anyway: /health/ready and every /api endpoint say what is missing.
            log.error("TICKHUB_DATABASE_URL is not set: the account pool is unavailable")
        else:
            context = TortoiseContext()
            # Requests run in other tasks than this one: the context is made the
            # global fallback, as Tortoise's own FastAPI integration does.
            with context:
                await context.init(config=config, _enable_global_fallback=True)
            log.info("serving the account pool of %s", redact(url or ""))
        app.state.db = context
        try:
            yield
        finally:
            await link.close()
            if context is not None:
                await context.close_connections()

    app = FastAPI(
        title="tickhub",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by .docs from local assets
        redoc_url=None,
    )
    docs.install(app, swagger_ui_parameters={"persistAuthorization": True})
    app.state.settings = settings
    app.state.box = box
    app.state.guard_token = token.encode()
    app.state.ws_timing = ws_timing or WsTiming()
    app.state.clock = clock
    app.state.resolved = ResolvedCache()
    app.state.refresh_timeout_s = settings.catalog_query_timeout_s + REFRESH_MARGIN_S
    app.add_middleware(Guard, token=token, max_body_bytes=settings.api_max_body_bytes)
    errors.install(app)

    app.include_router(health.router)
    app.include_router(api_router)
    app.include_router(ws.router)
    # Last: it answers every path the endpoints above do not.
    dashboard.install(app, dashboard.dashboard_dir(settings))
    return app
