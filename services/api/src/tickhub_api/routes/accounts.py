"""/api/accounts: the account pool, create-read-update-delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from tickhub_accounts.rules import GatewayTypeName

from .. import store
from ..announce import announce
from ..errors import Problem
from ..schemas import (
    ACCOUNT_EXAMPLE,
    CTP_EXAMPLE,
    SIM_EXAMPLE,
    AccountCreate,
    AccountOut,
    AccountUpdate,
)
from ..state import box_of

router = APIRouter(prefix="/accounts", tags=["accounts"])

AccountId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The account's id.", examples=[3])]


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
    503: (
        "The database is unavailable",
        {"type": "unavailable", "detail": "the database is unavailable; try again shortly"},
    ),
}


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route, each with an example :class:`Problem`."""
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


@router.get(
    "",
    summary="List accounts",
    response_model=list[AccountOut],
    responses={
        200: {"content": {"application/json": {"example": [ACCOUNT_EXAMPLE]}}},
        **_problems(422),
    },
)
async def list_accounts(
    gateway_type: Annotated[
        GatewayTypeName | None, Query(description="Only accounts of this type.", examples=["ctp"])
    ] = None,
    is_enabled: Annotated[
        bool | None,
        Query(description="Only enabled (or only disabled) ones.", examples=[True]),
    ] = None,
) -> list[AccountOut]:
    """Every account, preferred first (by priority, then id). Secrets are never
    returned: ``ctp.password_set`` and ``ctp.auth_code_set`` say whether one is stored."""
    return [store.to_out(a) for a in await store.list_accounts(gateway_type, is_enabled)]


@router.post(
    "",
    summary="Create an account",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
    responses=_problems(400, 409, 413, 415, 422),
)
async def create_account(
    request: Request,
    response: Response,
    body: Annotated[
        AccountCreate,
        Body(
            openapi_examples={
                "sim": {"summary": "A simulated source", "value": SIM_EXAMPLE},
                "ctp": {"summary": "A CTP market-data account", "value": CTP_EXAMPLE},
            }
        ),
    ],
) -> AccountOut:
    """Add an account to the pool. An enabled account gets a gateway worker (announced
    on ``tickhub.accounts.changed``)."""
    account = await store.create_account(body, box_of(request))
    await announce(request, account, "created", fields=sorted(body.model_fields_set))
    response.headers["Location"] = f"/api/accounts/{account.id}"
    return store.to_out(account)


@router.get(
    "/{account_id}",
    summary="Read an account",
    response_model=AccountOut,
    responses=_problems(404, 422),
)
async def get_account(account_id: AccountId) -> AccountOut:
    return store.to_out(await store.get_account(account_id))


@router.put(
    "/{account_id}",
    summary="Update an account (partial)",
    response_model=AccountOut,
    responses=_problems(400, 404, 409, 413, 415, 422),
)
async def update_account(
    request: Request,
    account_id: AccountId,
    body: Annotated[
        AccountUpdate,
        Body(
            openapi_examples={
                "disable": {"summary": "Disable (stop its worker)", "value": {"is_enabled": False}},
                "priority": {"summary": "Make it the backup", "value": {"priority": 2}},
                "password": {
                    "summary": "Change the ctp password alone",
                    "value": {"ctp": {"password": "n3w-Passw0rd"}},
                },
                "fronts": {
                    "summary": "Move to other fronts",
                    "value": {"ctp": {"md_fronts": ["tcp://180.168.146.187:10131"]}},
                },
                "to_sim": {
                    "summary": "Turn into a sim source",
                    "value": {"gateway_type": "sim", "sim": {"delay_ms": 5.0}},
                },
            }
        ),
    ],
) -> AccountOut:
    """**Partial update**: only the fields present change, at every level.

    * A field left out keeps its value; `null` is refused, except for `ctp.password`
      and `ctp.auth_code`, where `null` removes the secret.
    * `ctp` and `sim` merge the same way: `{"ctp": {"password": "new"}}` changes the
      password alone.
    * Changing `gateway_type` replaces the settings: send the new type's object
      complete (ctp: at least `userid`, `broker_id`, `md_fronts`); the old type's
      settings and secrets are dropped.
    * Renaming to a name another account has (in any letter case) is a 409.

    A change is announced on `tickhub.accounts.changed` with the names of the changed
    fields; the gateway restarts the account's worker with its new settings.
    """
    account, changed, previous_name = await store.update_account(account_id, body, box_of(request))
    if changed:
        await announce(request, account, "updated", fields=changed, previous_name=previous_name)
    return store.to_out(account)


@router.delete(
    "/{account_id}",
    summary="Delete an account",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_problems(404, 422),
)
async def delete_account(request: Request, account_id: AccountId) -> Response:
    """Remove the account; its worker is stopped."""
    account = await store.delete_account(account_id)
    await announce(request, account, "deleted")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
