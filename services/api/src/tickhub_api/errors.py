"""Every error the api returns has one JSON shape, :class:`Problem`.

Validation errors name the field (``errors[].field``, e.g. ``ctp.md_fronts.0``) but
never echo the value that was sent: it may be a password.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from tortoise.exceptions import DBConnectionError, OperationalError

from tickhub_runtime.logs import get_logger

log = get_logger(__name__)

ProblemType = Literal[
    "bad_request",
    "malformed_json",
    "unauthorized",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "validation_error",
    "unavailable",
    "internal_error",
    "bad_gateway",
    "gateway_timeout",
]

_TYPE_BY_STATUS: dict[int, ProblemType] = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. ctp.md_fronts.0.")
    location: Literal["body", "path", "query", "header", "cookie"]
    message: str
    type: str = Field(description="pydantic's error type, e.g. missing, string_pattern_mismatch.")


class Problem(BaseModel):
    """An error: what kind (``type``), a one-line ``detail`` and, for invalid input,
    one entry per offending field."""

    type: ProblemType
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []


class ApiError(Exception):
    """Raised by the endpoints: becomes a :class:`Problem` response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: ProblemType | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type: ProblemType = type or _TYPE_BY_STATUS.get(status, "bad_request")
        self.headers = headers


_TITLES: dict[ProblemType, str] = {
    "bad_request": "Bad request",
    "malformed_json": "Malformed JSON",
    "unauthorized": "Unauthorized",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "conflict": "Conflict",
    "payload_too_large": "Payload too large",
    "unsupported_media_type": "Unsupported media type",
    "validation_error": "Invalid input",
    "unavailable": "Service unavailable",
    "internal_error": "Internal error",
    "bad_gateway": "Bad gateway",
    "gateway_timeout": "Gateway timeout",
}


def problem_response(
    status: int,
    detail: str,
    *,
    type: ProblemType | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    kind = type or _TYPE_BY_STATUS.get(status, "bad_request")
    body = Problem(type=kind, title=_TITLES[kind], status=status, detail=detail, errors=[*errors])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _field_path(loc: Sequence[Any]) -> str:
    # Union members and function validators add non-field entries to the location
    # ("function-after[...]"): keep the field names and list indexes only.
    parts = [str(part) for part in loc if isinstance(part, int) or str(part).isidentifier()]
    return ".".join(parts)


# What FastAPI raises when reading the body fails other than by a JSON syntax error.
FASTAPI_BODY_ERROR = "There was an error parsing the body"

_LOCATIONS = ("body", "path", "query", "header", "cookie")


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """pydantic/FastAPI error dicts -> FieldErrors, without the input values."""
    result = []
    for error in errors:
        loc = list(error.get("loc", ()))
        location = loc[0] if loc and loc[0] in _LOCATIONS else "body"
        if loc and loc[0] == location:
            loc = loc[1:]
        if error.get("type") == "gateway_type_invalid" and isinstance(error.get("input"), dict):
            loc = [*loc, "gateway_type"]  # schemas.GATEWAY_TYPE_ERROR: an object, wrong type
        # Parameter names are the client's own: shown as sent (shortened).
        field = _field_path(loc) if location == "body" else ".".join(map(str, loc))[:100]
        result.append(
            FieldError(
                field=field,
                location=location,
                message=str(error.get("msg", "invalid")),
                type=str(error.get("type", "value_error")),
            )
        )
    return result


def validation_problem(errors: Sequence[Any]) -> JSONResponse:
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(
            400, "the request body is not valid JSON", type="malformed_json", errors=[]
        )
    fields = field_errors(errors)
    detail = "; ".join(
        f"{error.field or error.location}: {error.message}" for error in fields[:5]
    ) + ("; ..." if len(fields) > 5 else "")
    return problem_response(422, detail, errors=fields)


def install(app: FastAPI) -> None:
    """Route every error through :class:`Problem`."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return problem_response(error.status, error.detail, type=error.type, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return validation_problem(error.errors())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == FASTAPI_BODY_ERROR:
            # Not UTF-8, nested too deep for the parser, ...: unreadable, like bad JSON.
            return problem_response(
                400, "the request body is not valid UTF-8 JSON", type="malformed_json"
            )
        detail = (
            error.detail
            if isinstance(error.detail, str)
            else _TITLES.get(_TYPE_BY_STATUS.get(error.status_code, "bad_request"), "error")
        )
        return problem_response(error.status_code, detail, headers=error.headers)

    @app.exception_handler(DBConnectionError)
    @app.exception_handler(OSError)
    @app.exception_handler(asyncpg.PostgresConnectionError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(asyncpg.CannotConnectNowError)
    async def database_down(request: Request, error: Exception) -> JSONResponse:
        log.warning("%s %s: database unavailable (%s)", request.method, request.url.path, error)
        return problem_response(
            503, "the database is unavailable; try again shortly", headers={"Retry-After": "5"}
        )

    @app.exception_handler(OperationalError)
    async def database_error(request: Request, error: OperationalError) -> JSONResponse:
        if isinstance(error.__cause__, asyncpg.UndefinedTableError):
            log.error("the database is not migrated: run `python -m tickhub_api prestart`")
            return problem_response(503, "the database is not migrated yet")
        return await crashed(request, error)

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> JSONResponse:
        # The traceback goes to the log, the client learns only that it was not its
        # fault. A secret cannot be in the traceback: it is encrypted before it
        # reaches the database, and validation errors never get this far.
        path = request.url.path
        log.error("%s %s failed: %s", request.method, path, type(error).__name__, exc_info=error)
        return problem_response(500, "the server failed; see its log", type="internal_error")
