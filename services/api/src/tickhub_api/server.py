"""Run the API under uvicorn with tickhub's logging and signal handling."""

from __future__ import annotations

import uvicorn

from tickhub_runtime import logs
from tickhub_runtime.settings import Settings

from .main import create_app


def serve(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    logs.configure("api", settings.log_level)
    # uvicorn handles SIGTERM/SIGINT itself: it stops accepting, finishes requests,
    # runs the lifespan shutdown (NATS drain) and exits 0.
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
    )
