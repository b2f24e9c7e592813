"""Request and response bodies of /api/accounts.

The rules of every field come from :mod:`tickhub_accounts.rules`, which the gateway
shares. Secrets (``ctp.password``, ``ctp.auth_code``) appear in requests only;
responses say whether one is set (``password_set``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

from tickhub_accounts.rules import (
    DEFAULT_CAPACITY,
    AppId,
    AuthCode,
    BrokerId,
    Canary,
    Capacity,
    ConnectTimeout,
    Contracts,
    CtpConfig,
    CtpTradingHours,
    DelayMs,
    Environment,
    Excluded,
    FailLogin,
    GatewayTypeName,
    MdFronts,
    MdLibrary,
    Password,
    Priority,
    ProductInfo,
    Seed,
    SimConfig,
    SourceName,
    Strict,
    SubscribePace,
    TdFront,
    TicksPerSecond,
    UserId,
)

GATEWAY_TYPE_ERROR = "gateway_type_invalid"
"""The error type of a body whose gateway_type is missing or unknown."""

# --- examples (shown in /docs) ------------------------------------------------

SIM_EXAMPLE: dict[str, Any] = {
    "name": "sim-c",
    "gateway_type": "sim",
    "priority": 3,
    "is_enabled": True,
    "canary": "rb2605.SHFE",
    "contracts": ["rb2605.SHFE", "m2605.DCE"],
    "capacity": 500,
    "excluded": [],
    "sim": {"ticks_per_second": 2.0, "delay_ms": 15.0, "seed": 0, "fail_login": False},
}
CTP_EXAMPLE: dict[str, Any] = {
    "name": "ctp-main",
    "gateway_type": "ctp",
    "priority": 1,
    "is_enabled": True,
    "canary": "rb2605.SHFE",
    "contracts": [],
    "capacity": 5000,
    "excluded": ["CZCE"],
    "ctp": {
        "userid": "089123",
        "password": "s3cret-Passw0rd",
        "broker_id": "9999",
        "md_fronts": ["tcp://180.168.146.187:10211", "tcp://180.168.146.187:10212"],
        "td_front": "",
        "app_id": "simnow_client_test",
        "auth_code": "0000000000000000",
        "product_info": "",
        "environment": "test",
        "connect_timeout_s": 10.0,
    },
}
ACCOUNT_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "name": "ctp-main",
    "gateway_type": "ctp",
    "priority": 1,
    "is_enabled": True,
    "canary": "rb2605.SHFE",
    "contracts": [],
    "capacity": 5000,
    "excluded": ["CZCE"],
    "ctp": {
        "userid": "089123",
        "broker_id": "9999",
        "md_fronts": ["tcp://180.168.146.187:10211", "tcp://180.168.146.187:10212"],
        "td_front": "",
        "app_id": "simnow_client_test",
        "product_info": "",
        "environment": "test",
        "connect_timeout_s": 10.0,
        "password_set": True,
        "auth_code_set": True,
    },
    "sim": None,
    "created_at": "2026-11-24T01:02:03.456789Z",
    "updated_at": "2026-11-24T01:02:03.456789Z",
}


# --- create -------------------------------------------------------------------


class CtpCreate(CtpConfig):
    password: Password | None = None
    auth_code: AuthCode | None = None


class _AccountBase(Strict):
    name: SourceName
    priority: Priority
    is_enabled: bool = True
    canary: Canary
    contracts: Contracts = Field(default_factory=list)
    capacity: Capacity = DEFAULT_CAPACITY
    excluded: Excluded = Field(default_factory=list)


class CtpAccountCreate(_AccountBase):
    """A new CTP account: ``ctp`` holds its settings and secrets."""

    gateway_type: Literal["ctp"]
    ctp: CtpCreate


class SimAccountCreate(_AccountBase):
    """A new sim account: ``sim`` may be left out (defaults apply)."""

    gateway_type: Literal["sim"]
    sim: SimConfig = Field(default_factory=SimConfig)


def _gateway_tag(value: Any) -> str | None:
    kind = value.get("gateway_type") if isinstance(value, dict) else None
    # Tags that are no field names: they must not read as a field in error locations.
    return f"gateway_type={kind}" if kind in ("ctp", "sim") else None


AccountCreate = Annotated[
    Annotated[CtpAccountCreate, Tag("gateway_type=ctp")]
    | Annotated[SimAccountCreate, Tag("gateway_type=sim")],
    Discriminator(
        _gateway_tag,
        custom_error_type=GATEWAY_TYPE_ERROR,
        custom_error_message="the body must be an object with gateway_type 'ctp' or 'sim'",
    ),
]
"""A new account, its settings by ``gateway_type``."""


# --- update -------------------------------------------------------------------

# "Left out": typed as the field's own type (only fields that were sent are read,
# and those are never None), so the schema does not offer null where it is refused.
_ABSENT: Any = Field(None)


class _Partial(Strict):
    """Fields left out keep their value. A field's default (None) stands for "absent"
    and is never validated; a ``null`` sent for it is refused by its type."""


class SimPatch(_Partial):
    ticks_per_second: TicksPerSecond = _ABSENT
    delay_ms: DelayMs = _ABSENT
    seed: Seed = _ABSENT
    fail_login: FailLogin = _ABSENT


class CtpPatch(_Partial):
    userid: UserId = _ABSENT
    password: Password | None = Field(
        None, description="A string replaces the password, null removes it, absent keeps it."
    )
    broker_id: BrokerId = _ABSENT
    md_fronts: MdFronts = _ABSENT
    td_front: TdFront = _ABSENT
    app_id: AppId = _ABSENT
    auth_code: AuthCode | None = Field(
        None, description="A string replaces the auth code, null removes it, absent keeps it."
    )
    product_info: ProductInfo = _ABSENT
    environment: Environment = _ABSENT
    connect_timeout_s: ConnectTimeout = _ABSENT
    md_library: MdLibrary = _ABSENT
    trading_hours: CtpTradingHours = _ABSENT
    subscribe_per_s: SubscribePace = _ABSENT


class AccountUpdate(_Partial):
    """A partial update: only the fields present change, at every level.

    * A field left out keeps its value; ``null`` is refused (except ``ctp.password`` and
      ``ctp.auth_code``, where ``null`` removes the secret).
    * ``ctp`` and ``sim`` merge the same way: ``{"ctp": {"password": "new"}}`` changes
      the password alone.
    * Changing ``gateway_type`` replaces the settings: send the new type's object
      complete (for ctp: at least userid, broker_id, md_fronts); the old type's
      settings and secrets are dropped.
    * A name another account has (in any letter case) is a 409.
    """

    name: SourceName = _ABSENT
    gateway_type: GatewayTypeName = _ABSENT
    priority: Priority = _ABSENT
    is_enabled: bool = _ABSENT
    canary: Canary = _ABSENT
    contracts: Contracts = _ABSENT
    capacity: Capacity = _ABSENT
    excluded: Excluded = _ABSENT
    ctp: CtpPatch = _ABSENT
    sim: SimPatch = _ABSENT


# --- responses ----------------------------------------------------------------


class CtpOut(CtpConfig):
    password_set: bool = Field(description="Whether a password is stored (it is never returned).")
    auth_code_set: bool = Field(description="Whether an auth code is stored.")


class AccountOut(BaseModel):
    id: int
    name: str
    gateway_type: GatewayTypeName
    priority: int = Field(description="Lower number = preferred source.")
    is_enabled: bool
    canary: str
    contracts: list[str] = Field(
        description="An explicit list: the account carries exactly these (and its canary). "
        "Empty: it takes part in the allocation of the universe."
    )
    capacity: int = Field(description="Most contracts it may subscribe, its canary included.")
    excluded: list[str] = Field(
        description="Exchanges (CZCE) or products (SR.CZCE) it must not serve."
    )
    ctp: CtpOut | None = Field(description="Set for gateway_type ctp, else null.")
    sim: SimConfig | None = Field(description="Set for gateway_type sim, else null.")
    created_at: dt.datetime
    updated_at: dt.datetime

    model_config = {"json_schema_extra": {"examples": [ACCOUNT_EXAMPLE]}}
