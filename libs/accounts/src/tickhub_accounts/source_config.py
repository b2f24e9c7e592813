"""Account row -> the SourceConfig a gateway worker runs: the seam of the live pool.

The GatewayManager reads the enabled accounts with :func:`enabled_source_configs` and
hands each worker its SourceConfig on stdin. This is the one place where a stored
secret is decrypted, and the SourceConfig the one message that carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pydantic import ValidationError

from tickhub_contracts.messages import CtpSettings, SimSettings, SourceConfig
from tickhub_runtime.logs import get_logger

from .crypto import SecretBox, SecretKeyError
from .models import MarketDataAccount
from .rules import DEFAULT_CAPACITY, CtpConfig, SimConfig


class AccountConfigError(ValueError):
    """A stored account that cannot be run (bad settings, undecryptable secret)."""


def to_source_config(account: MarketDataAccount, box: SecretBox) -> SourceConfig:
    """The worker's configuration for ``account``, secrets decrypted.

    Raises :class:`AccountConfigError` naming the account (never a value) when the row
    does not hold valid settings for its type.
    """
    try:
        if account.gateway_type == "sim":
            sim = SimConfig.model_validate(account.settings)
            return SourceConfig(
                name=account.name,
                gateway_type="sim",
                priority=account.priority,
                contracts=list(account.contracts),
                canary=account.canary,
                enabled=account.is_enabled,
                sim=SimSettings(
                    ticks_per_second=sim.ticks_per_second,
                    delay_ms=sim.delay_ms,
                    fail_login=sim.fail_login,
                    seed=sim.seed,
                ),
            )
        if account.gateway_type == "ctp":
            ctp = CtpConfig.model_validate(account.settings)
            return SourceConfig(
                name=account.name,
                gateway_type="ctp",
                priority=account.priority,
                contracts=list(account.contracts),
                canary=account.canary,
                enabled=account.is_enabled,
                ctp=CtpSettings(
                    userid=ctp.userid,
                    password=_decrypt(box, account.password_encrypted),
                    broker_id=ctp.broker_id,
                    md_fronts=list(ctp.md_fronts),
                    td_front=ctp.td_front,
                    app_id=ctp.app_id,
                    auth_code=_decrypt(box, account.auth_code_encrypted),
                    product_info=ctp.product_info,
                    environment=ctp.environment,
                    connect_timeout_s=ctp.connect_timeout_s,
                    md_library=ctp.md_library,
                    trading_hours=ctp.trading_hours,
                    subscribe_per_s=ctp.subscribe_per_s,
                ),
            )
    except ValidationError as error:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors())
        raise AccountConfigError(f"{account}: invalid stored settings ({fields})") from None
    except SecretKeyError as error:
        raise AccountConfigError(f"{account}: {error}") from None
    raise AccountConfigError(f"{account}: unknown gateway type {account.gateway_type!r}")


def _decrypt(box: SecretBox, token: str | None) -> str:
    return "" if token is None else box.decrypt(token)


async def enabled_source_configs(box: SecretBox) -> list[SourceConfig]:
    """Every enabled account that can run, preferred first.

    An account that cannot (see :func:`to_source_config`) is logged and left out, so
    one bad row never stops the rest of the pool. Needs an active Tortoise context
    (:func:`tickhub_accounts.db.open_database`).
    """
    configs = []
    for account in await MarketDataAccount.filter(is_enabled=True).order_by("priority", "id"):
        try:
            configs.append(to_source_config(account, box))
        except AccountConfigError as error:
            get_logger(__name__, source=account.name).error("left out of the pool: %s", error)
    return configs


class AccountSource(NamedTuple):
    account_id: int
    config: SourceConfig
    capacity: int = DEFAULT_CAPACITY
    """How many contracts the account may subscribe, its canary included."""
    excluded: tuple[str, ...] = ()
    """Exchanges (``CZCE``) and products (``SR.CZCE``) it must not serve."""


def _log_left_out(account: MarketDataAccount, error: AccountConfigError) -> None:
    get_logger(__name__, source=account.name).error("left out of the pool: %s", error)


async def pool_source_configs(
    box: SecretBox,
    on_error: Callable[[MarketDataAccount, AccountConfigError], None] = _log_left_out,
) -> list[AccountSource]:
    """Every account that can run, enabled or not (``config.enabled`` says which),
    preferred first, with its id, capacity and exclusions. The live pool keeps a
    disabled account in view as a stopped source whose reason is "disabled".

    An account that cannot run (see :func:`to_source_config`) is left out and handed
    to ``on_error`` (default: logged). Needs an active Tortoise context.
    """
    sources = []
    for account in await MarketDataAccount.all().order_by("priority", "id"):
        try:
            config = to_source_config(account, box)
            sources.append(
                AccountSource(
                    account.id,
                    config,
                    capacity=account.capacity,
                    excluded=tuple(account.excluded or ()),
                )
            )
        except AccountConfigError as error:
            on_error(account, error)
    return sources
