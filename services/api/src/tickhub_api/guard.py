"""The api's gate, in front of routing: bearer token and body size.

Both are checked before the request body is read. A client without the token learns
nothing (not even whether its JSON was valid), and a 10 MB body is refused by its
Content-Length, or as soon as a chunked one passes the limit, without ever being held
in memory whole.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tickhub_runtime.logs import get_logger

from .errors import ApiError, Problem

log = get_logger(__name__)

PROTECTED_PREFIXES = ("/api", "/ws")

WS_PATH = "/ws"
"""The live feed authenticates itself: a browser cannot put a header on a WebSocket,
so it sends the token in its first message (:mod:`tickhub_api.ws`)."""


BODY_METHODS = ("POST", "PUT", "PATCH")


def _is_json(content_type: str | None) -> bool:
    # No Content-Type at all is taken as JSON: curl and scripts often leave it out.
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _protected(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROTECTED_PREFIXES)


def token_equals(given: str, token: bytes) -> bool:
    """``given`` is the token, compared in constant time."""
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token)


def token_matches(header: str | None, token: bytes) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    if not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return token_equals(given, token)


def challenge(invalid: bool) -> str:
    return 'Bearer realm="tickhub"' + (', error="invalid_token"' if invalid else "")


async def _send_problem(
    send: Send, status: int, type_: str, title: str, detail: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps(
        Problem.model_validate(
            {"type": type_, "title": title, "status": status, "detail": detail}
        ).model_dump(mode="json")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is larger than {limit} bytes",
            headers={"Connection": "close"},
        )


class Guard:
    """Pure ASGI middleware: token on /api and /ws (the /ws WebSocket checks its own,
    header or first message), body size everywhere."""

    def __init__(self, app: ASGIApp, *, token: str, max_body_bytes: int) -> None:
        self.app = app
        self.token = token.encode()
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or (
            scope["type"] == "websocket" and scope["path"] == WS_PATH
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        authorized = token_matches(headers.get("authorization"), self.token)
        if _protected(scope["path"]) and not authorized:
            given = "authorization" in headers
            log.warning(
                "refused %s %s from %s: %s token",
                scope.get("method", "WS"),
                scope["path"],
                (scope.get("client") or ("?",))[0],
                "wrong" if given else "no",
            )
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _send_problem(
                send,
                401,
                "unauthorized",
                "Unauthorized",
                "send Authorization: Bearer <token> (TICKHUB_API_TOKEN or <data dir>/api-token)",
                [(b"www-authenticate", challenge(given).encode())],
            )
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await _send_problem(
                    send, 400, "bad_request", "Bad request", "invalid Content-Length", []
                )
                return
            if int(length) > self.max_body_bytes:
                await _send_problem(
                    send,
                    413,
                    "payload_too_large",
                    "Payload too large",
                    f"the request body is larger than {self.max_body_bytes} bytes",
                    [(b"connection", b"close")],
                )
                return
        if scope.get("method") in BODY_METHODS and not _is_json(headers.get("content-type")):
            await _send_problem(
                send,
                415,
                "unsupported_media_type",
                "Unsupported media type",
                "send the body as JSON with Content-Type: application/json",
                [],
            )
            return
        await self.app(scope, self._limited(receive), send)

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes through FastAPI's body reading untouched
                    # and becomes the 413 Problem.
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return limited


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="TICKHUB_API_TOKEN, or on the local run the token in <data dir>/api-token.",
)


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    """Checks the token again behind :class:`Guard` (which already refused a wrong one)
    and puts the scheme in the OpenAPI document: the Authorize button of /docs."""
    header = f"Bearer {credentials.credentials}" if credentials else None
    if not token_matches(header, request.app.state.guard_token):
        raise ApiError(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": challenge(True)}
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the endpoint does not take: ``?enabled=true`` for
    ``?is_enabled=true`` would otherwise be ignored and return every account."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    allowed = _query_names(dependant) if isinstance(dependant, Dependant) else set()
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise RequestValidationError(
            [
                {"loc": ("query", name), "msg": "unknown parameter", "type": "extra_forbidden"}
                for name in unknown
            ]
        )
