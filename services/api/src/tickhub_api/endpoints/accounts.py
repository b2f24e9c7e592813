"""/api/accounts: the account pool, create-read-update-delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from tickhub_accounts.rules import GatewayTypeName

from .. import account_store
from ..announce import announce
from ..schemas import (
    ACCOUNT_EXAMPLE,
    CTP_EXAMPLE,
    SIM_EXAMPLE,
    AccountCreate,
    AccountOut,
    AccountUpdate,
)
from ..state import box_of
from ..stop_release import release_manual_stop
from .problems import problems as _problems

router = APIRouter(prefix="/accounts", tags=["accounts"])

AccountId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The account's id.", examples=[3])]


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
    return [
        account_store.to_out(a) for a in await account_store.list_accounts(gateway_type, is_enabled)
    ]


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
    account = await account_store.create_account(body, box_of(request))
    await announce(request, account, "created", fields=sorted(body.model_fields_set))
    response.headers["Location"] = f"/api/accounts/{account.id}"
    return account_store.to_out(account)


@router.get(
    "/{account_id}",
    summary="Read an account",
    response_model=AccountOut,
    responses=_problems(404, 422),
)
async def get_account(account_id: AccountId) -> AccountOut:
    return account_store.to_out(await account_store.get_account(account_id))


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
    Enabling a disabled account also releases an operator's stop of it: it starts.
    """
    account, changed, previous_name = await account_store.update_account(
        account_id, body, box_of(request)
    )
    if "is_enabled" in changed and account.is_enabled:
        await release_manual_stop(request, account.name)
    if changed:
        await announce(request, account, "updated", fields=changed, previous_name=previous_name)
    return account_store.to_out(account)


@router.delete(
    "/{account_id}",
    summary="Delete an account",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_problems(404, 422),
)
async def delete_account(request: Request, account_id: AccountId) -> Response:
    """Remove the account; its worker is stopped."""
    account = await account_store.delete_account(account_id)
    await release_manual_stop(request, account.name)
    await announce(request, account, "deleted")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
