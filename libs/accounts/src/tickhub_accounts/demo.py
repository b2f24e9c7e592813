"""The demo pools: two sim accounts (what a newcomer's empty database starts with), or
two ctp accounts on two local CTP fronts (``tickhub up --demo ctp``)."""

from __future__ import annotations

from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

from .crypto import SecretBox
from .models import MarketDataAccount
from .rules import CtpConfig, SimConfig

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


CTP_DEMO_BROKER = "9999"
CTP_DEMO_USER = "rehearsal"
CTP_DEMO_NAMES = ("ctp-a", "ctp-b")


def ctp_demo_fronts(settings: Settings) -> list[tuple[int, int]]:
    """(port, control port) of each demo front, in the order of :data:`CTP_DEMO_NAMES`."""
    base = settings.ctp_demo_port
    return [(base + i, base + 10 + i) for i in range(len(CTP_DEMO_NAMES))]


def ctp_demo_accounts(settings: Settings, password: str, box: SecretBox) -> list[MarketDataAccount]:
    """ctp-a (priority 1) and ctp-b (priority 2), each on its own local front serving the
    same feed: two CTP accounts racing as real ones do, through vnpy_ctp's CtpGateway
    and tickhub's stand-in library (md_library local), ticking around the clock."""
    accounts = []
    for priority, (name, (port, _)) in enumerate(
        zip(CTP_DEMO_NAMES, ctp_demo_fronts(settings), strict=True), start=1
    ):
        ctp = CtpConfig(
            userid=CTP_DEMO_USER,
            broker_id=CTP_DEMO_BROKER,
            md_fronts=[f"tcp://127.0.0.1:{port}"],
            md_library="local",
            trading_hours="always",
            connect_timeout_s=5.0,
        )
        accounts.append(
            MarketDataAccount(
                name=name,
                gateway_type="ctp",
                priority=priority,
                is_enabled=True,
                canary=settings.canary,
                contracts=list(settings.sim_contracts),
                settings=ctp.model_dump(),
                password_encrypted=box.encrypt(password),
            )
        )
    return accounts


async def seed_ctp_demo(settings: Settings, password: str, box: SecretBox) -> list[str]:
    """Add the ctp demo accounts that are missing (by name); returns the names added.

    Asked for explicitly (``--demo ctp``), so also into a database that has accounts;
    an existing ctp-a or ctp-b is left as the operator made it. Needs an active
    Tortoise context.
    """
    added = []
    for account in ctp_demo_accounts(settings, password, box):
        if await MarketDataAccount.filter(name=account.name).exists():
            continue
        await account.save()
        added.append(account.name)
    if added:
        log.info("added the ctp demo accounts %s", ", ".join(added))
    return added
