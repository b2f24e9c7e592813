"""The two demo sim accounts a newcomer's empty database starts with."""

from __future__ import annotations

from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .models import MarketDataAccount
from .rules import SimConfig

log = get_logger(__name__)


def demo_accounts(settings: Settings) -> list[MarketDataAccount]:
    """sim-a (priority 1) and sim-b (priority 2) on the default contracts and canary:
    identical ticks from two sources, so failover can be watched at once."""
    return [
        MarketDataAccount(
            name=name,
            gateway_type="sim",
            priority=priority,
            is_enabled=True,
            canary=settings.canary,
            contracts=list(settings.sim_contracts),
            settings=SimConfig().model_dump(),
        )
        for name, priority in (("sim-a", 1), ("sim-b", 2))
    ]


async def seed_demo(settings: Settings) -> list[str]:
    """Add the demo accounts if the pool is empty; returns the names added.

    Needs an active Tortoise context. The api's prestart calls this for a new
    database only, so an operator's emptied pool is not refilled.
    """
    if await MarketDataAccount.exists():
        return []
    accounts = demo_accounts(settings)
    for account in accounts:
        await account.save()
    names = [account.name for account in accounts]
    log.info("added the demo accounts %s", ", ".join(names))
    return names
