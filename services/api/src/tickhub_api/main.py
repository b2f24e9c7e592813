"""The FastAPI application: built by :func:`create_app` from one Settings object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tickhub_runtime import bus
from tickhub_runtime.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.nc = await bus.open_for_service(settings, "api")
        yield
        await app.state.nc.drain()

    app = FastAPI(title="tickhub", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
