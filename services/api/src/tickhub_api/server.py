"""Run the API under uvicorn with tickhub's logging and signal handling."""

from __future__ import annotations

import math
import sys

import uvicorn
from fastapi import FastAPI

from tickhub_accounts.crypto import SecretKeyError
from tickhub_accounts.db import DatabaseUrlError
from tickhub_accounts.secretfiles import SecretFileError
from tickhub_runtime import logs
from tickhub_runtime.settings import Settings

from .main import create_app

log = logs.get_logger("tickhub.api")


WS_MAX_SIZE = 64 * 1024
"""Largest message a /ws client may send (it sends one: its token)."""


def uvicorn_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """How the api is served (the tests serve it the same way)."""
    return uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        # A /ws client that reads nothing keeps its socket's buffer full, and uvicorn
        # would wait for it forever at shutdown: after this long, open work is cancelled.
        timeout_graceful_shutdown=math.ceil(settings.command_timeout_s) + 1,
        ws_max_size=WS_MAX_SIZE,
        # Compression is per connection: it would undo encoding each event once for
        # every client, for a feed of small messages on a local network.
        ws_per_message_deflate=False,
    )


def serve(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    logs.configure("api", settings.log_level)
    try:
        app = create_app(settings)
    except (SecretKeyError, SecretFileError, DatabaseUrlError) as error:
        # A configuration mistake: one line that says what to fix, no traceback.
        log.error("cannot start: %s", error)
        sys.exit(2)
    # uvicorn handles SIGTERM/SIGINT itself: it stops accepting, finishes requests,
    # runs the lifespan shutdown (NATS drain, database pool close) and exits 0.
    uvicorn.Server(uvicorn_config(app, settings)).run()
