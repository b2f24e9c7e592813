"""The documented error responses of the /api endpoints, each with an example Problem."""

from __future__ import annotations

from typing import Any

from ..errors import Problem

_PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "Malformed JSON",
        {"type": "malformed_json", "detail": "the request body is not valid JSON"},
    ),
    401: (
        "No or wrong bearer token",
        {"type": "unauthorized", "detail": "send Authorization: Bearer <token> (...)"},
    ),
    404: ("No account with this id", {"type": "not_found", "detail": "no account with id 3"}),
    409: (
        "The name is taken (names ignore letter case)",
        {"type": "conflict", "detail": "an account named 'ctp-main' exists already (...)"},
    ),
    413: (
        "Body larger than TICKHUB_API_MAX_BODY_BYTES",
        {"type": "payload_too_large", "detail": "the request body is larger than 1048576 bytes"},
    ),
    415: (
        "Body not sent as application/json",
        {"type": "unsupported_media_type", "detail": "send the body as JSON with (...)"},
    ),
    422: (
        "Invalid field(s), named in `errors[].field`",
        {
            "type": "validation_error",
            "detail": "priority: Input should be less than or equal to 1000",
            "errors": [
                {
                    "field": "priority",
                    "location": "body",
                    "message": "Input should be less than or equal to 1000",
                    "type": "less_than_equal",
                }
            ],
        },
    ),
    502: (
        "The gateway manager's answer could not be read",
        {"type": "bad_gateway", "detail": "the gateway manager's answer is not a Reply (...)"},
    ),
    503: (
        "The database is unavailable",
        {"type": "unavailable", "detail": "the database is unavailable; try again shortly"},
    ),
    504: (
        "No gateway manager answered in time (TICKHUB_COMMAND_TIMEOUT_S)",
        {
            "type": "gateway_timeout",
            "detail": "no gateway manager answered within 5.0 s: is the gateway service up?",
        },
    ),
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses of an endpoint, each with an example :class:`Problem`."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in (401, 503, *codes):
        description, example = _PROBLEMS[code]
        body = {"title": description, "status": code, "errors": [], **example}
        responses[code] = {
            "model": Problem,
            "description": description,
            "content": {"application/json": {"example": body}},
        }
    return responses
