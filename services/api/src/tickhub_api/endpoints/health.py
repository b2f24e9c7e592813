"""/health (liveness) and /health/ready (database and NATS): open, no token."""

from __future__ import annotations

import asyncio
from typing import Literal

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError

from tickhub_accounts.db import ping

from ..state import nats_of

router = APIRouter(prefix="/health", tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"

    model_config = {"json_schema_extra": {"examples": [{"status": "ok"}]}}


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    database: str = Field(description='"ok", or why not: "unreachable", "not migrated", ...')
    nats: str = Field(description='"ok" or "unreachable".')

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"status": "ready", "database": "ok", "nats": "ok"},
                {"status": "unavailable", "database": "unreachable", "nats": "ok"},
            ]
        }
    }


@router.get("", summary="Liveness", response_model=Liveness)
async def health() -> Liveness:
    """The process answers. Open: no token needed."""
    return Liveness()


async def _database(context: TortoiseContext | None, timeout_s: float) -> str:
    if context is None:
        return "not configured"
    try:
        await asyncio.wait_for(ping(context), timeout_s)
    except TimeoutError:
        return "timeout"
    except OperationalError as error:
        if isinstance(error.__cause__, asyncpg.UndefinedTableError):
            return "not migrated"
        return "error"
    except Exception:  # OSError, asyncpg's connection errors, DBConnectionError, ...
        return "unreachable"
    return "ok"


@router.get(
    "/ready",
    summary="Readiness: database and NATS",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database or NATS is down"}},
)
async def ready(request: Request) -> JSONResponse:
    """200 when the database (migrated) and NATS both answer, else 503 naming which
    is down. Open: no token needed."""
    settings = request.app.state.settings
    database = await _database(request.app.state.db, settings.database_timeout_s)
    nats = "ok" if nats_of(request).connected else "unreachable"
    ok = database == "ok" and nats == "ok"
    body = Readiness(status="ready" if ok else "unavailable", database=database, nats=nats)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
