"""Accounts in the database: create, read, update, delete, as the endpoints need them.

Works on validated request models and returns rows; knows nothing of HTTP except the
:class:`~tickhub_api.errors.ApiError` it raises (404, 409, 422).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from tickhub_accounts.crypto import SecretBox
from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.rules import CtpConfig, SimConfig

from .errors import ApiError
from .schemas import AccountCreate, AccountOut, AccountUpdate, CtpAccountCreate, CtpOut

SECRET_FIELDS = ("password", "auth_code")


def not_found(account_id: int) -> ApiError:
    return ApiError(404, f"no account with id {account_id}")


def _name_taken(name: str) -> ApiError:
    return ApiError(409, f"an account named {name!r} exists already (names ignore letter case)")


def _invalid(loc: tuple[str | int, ...], message: str, type_: str = "value_error") -> Exception:
    return RequestValidationError([{"loc": ("body", *loc), "msg": message, "type": type_}])


def _reraise_under(prefix: str, error: ValidationError) -> Exception:
    """A ValidationError of a merged object, reported at its place in the body."""
    return RequestValidationError(
        [
            {"loc": ("body", prefix, *e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in error.errors()
        ]
    )


async def _ensure_name_free(name: str, except_id: int | None = None) -> None:
    query = MarketDataAccount.filter(name__iexact=name)
    if except_id is not None:
        query = query.exclude(id=except_id)
    if await query.exists():
        raise _name_taken(name)


def _is_name_conflict(error: IntegrityError) -> bool:
    cause = error.__cause__
    return isinstance(cause, asyncpg.UniqueViolationError) and "name" in (
        cause.constraint_name or ""
    )


def to_out(account: MarketDataAccount) -> AccountOut:
    ctp = sim = None
    if account.gateway_type == "ctp":
        ctp = CtpOut.model_validate(
            {
                **account.settings,
                "password_set": account.password_encrypted is not None,
                "auth_code_set": account.auth_code_encrypted is not None,
            }
        )
    else:
        sim = SimConfig.model_validate(account.settings)
    return AccountOut(
        id=account.id,
        name=account.name,
        gateway_type=account.gateway_type,
        priority=account.priority,
        is_enabled=account.is_enabled,
        canary=account.canary,
        contracts=list(account.contracts),
        capacity=account.capacity,
        excluded=list(account.excluded),
        ctp=ctp,
        sim=sim,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


async def list_accounts(
    gateway_type: str | None = None, is_enabled: bool | None = None
) -> list[MarketDataAccount]:
    query = MarketDataAccount.all()
    if gateway_type is not None:
        query = query.filter(gateway_type=gateway_type)
    if is_enabled is not None:
        query = query.filter(is_enabled=is_enabled)
    return await query.order_by("priority", "id")


async def get_account(account_id: int) -> MarketDataAccount:
    account = await MarketDataAccount.get_or_none(id=account_id)
    if account is None:
        raise not_found(account_id)
    return account


async def create_account(body: AccountCreate, box: SecretBox) -> MarketDataAccount:
    account = MarketDataAccount(
        name=body.name,
        gateway_type=body.gateway_type,
        priority=body.priority,
        is_enabled=body.is_enabled,
        canary=body.canary,
        contracts=list(body.contracts),
        capacity=body.capacity,
        excluded=list(body.excluded),
    )
    if isinstance(body, CtpAccountCreate):
        account.settings = body.ctp.model_dump(exclude=set(SECRET_FIELDS))
        account.password_encrypted = _encrypt(box, body.ctp.password)
        account.auth_code_encrypted = _encrypt(box, body.ctp.auth_code)
    else:
        account.settings = body.sim.model_dump()
    await _ensure_name_free(body.name)
    try:
        await account.save()
    except IntegrityError as error:
        if _is_name_conflict(error):
            raise _name_taken(body.name) from None
        raise
    return account


def _encrypt(box: SecretBox, value: str | None) -> str | None:
    return None if value is None else box.encrypt(value)


def _apply_settings(
    account: MarketDataAccount, body: AccountUpdate, box: SecretBox, changed: list[str]
) -> None:
    """Merge ``body.ctp``/``body.sim`` into the account (a new type: replace)."""
    new_type = body.gateway_type if "gateway_type" in body.model_fields_set else None
    type_changes = new_type is not None and new_type != account.gateway_type
    gateway_type = new_type or account.gateway_type
    other = "sim" if gateway_type == "ctp" else "ctp"
    if other in body.model_fields_set:
        raise _invalid((other,), f"not allowed with gateway_type {gateway_type}", "extra_forbidden")
    if type_changes:
        changed.append("gateway_type")
        account.gateway_type = gateway_type
        account.password_encrypted = account.auth_code_encrypted = None
        base: dict[str, Any] = {}
    else:
        base = dict(account.settings)

    if gateway_type == "ctp":
        patch = body.ctp.model_dump(exclude_unset=True) if body.ctp is not None else {}
        if type_changes and body.ctp is None:
            raise _invalid(("ctp",), "required when gateway_type changes to ctp", "missing")
        secrets = {name: patch.pop(name) for name in SECRET_FIELDS if name in patch}
        merged = {**base, **patch}
        try:
            settings = CtpConfig.model_validate(merged).model_dump()
        except ValidationError as error:
            raise _reraise_under("ctp", error) from None
        if "password" in secrets:
            account.password_encrypted = _encrypt(box, secrets["password"])
        if "auth_code" in secrets:
            account.auth_code_encrypted = _encrypt(box, secrets["auth_code"])
        changed.extend(f"ctp.{name}" for name in secrets)
    else:
        patch = body.sim.model_dump(exclude_unset=True) if body.sim is not None else {}
        try:
            settings = SimConfig.model_validate({**base, **patch}).model_dump()
        except ValidationError as error:
            raise _reraise_under("sim", error) from None
    if not type_changes:
        changed.extend(
            f"{gateway_type}.{key}" for key in settings if settings[key] != base.get(key)
        )
    account.settings = settings


async def update_account(
    account_id: int, body: AccountUpdate, box: SecretBox
) -> tuple[MarketDataAccount, list[str], str | None]:
    """Apply a partial update; returns the row, the changed fields and the old name if
    it was renamed. Nothing is written when nothing changes."""
    sent = body.model_fields_set
    async with in_transaction():
        account = await MarketDataAccount.select_for_update().get_or_none(id=account_id)
        if account is None:
            raise not_found(account_id)
        changed: list[str] = []
        previous_name = account.name
        for field in (
            "name",
            "priority",
            "is_enabled",
            "canary",
            "contracts",
            "capacity",
            "excluded",
        ):
            if field in sent:
                value = getattr(body, field)
                if value != getattr(account, field):
                    setattr(account, field, value)
                    changed.append(field)
        _apply_settings(account, body, box, changed)
        if "name" in changed:
            await _ensure_name_free(account.name, except_id=account.id)
        if changed:
            try:
                await account.save()
            except IntegrityError as error:
                if _is_name_conflict(error):
                    raise _name_taken(account.name) from None
                raise
    renamed = previous_name if "name" in changed else None
    return account, changed, renamed


async def delete_account(account_id: int) -> MarketDataAccount:
    async with in_transaction():
        account = await MarketDataAccount.select_for_update().get_or_none(id=account_id)
        if account is None:
            raise not_found(account_id)
        await account.delete()
    return account
