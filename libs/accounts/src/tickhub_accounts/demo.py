"""The demo pools: two sim accounts (what a newcomer's empty database starts with), or
two ctp accounts on two local CTP fronts (``tickhub up --demo ctp``), each on a demo
universe: the accounts have no contract list of their own, the gateway spreads the
universe over them."""

from __future__ import annotations

from tickhub_contracts import subjects
from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings
from tickhub_universe.entries import EntryError, alias_of, parse_entry, product_of

from .crypto import SecretBox
from .models import MarketDataAccount, UniverseEntry
from .rules import CtpConfig, SimConfig

log = get_logger(__name__)


def product_entry(vt_symbol: str) -> str | None:
    """``'rb2605.SHFE'`` -> ``'rb.SHFE'``; None for a symbol without a product's letters."""
    symbol, exchange = subjects.split_vt_symbol(vt_symbol)
    product = product_of(symbol)
    month = symbol[len(product) :]
    return f"{product}.{exchange}" if product and month.isdigit() else None


def demo_universe(settings: Settings) -> list[str]:
    """The demo's universe: the products of the demo contracts
    (``TICKHUB_SIM_CONTRACTS``) and the main-contract alias of the canary's product
    (``rb888.SHFE``), in that order, each once."""
    texts: list[str] = []
    for vt_symbol in settings.sim_contracts:
        product = product_entry(vt_symbol)
        if product is not None and product not in texts:
            texts.append(product)
    symbol, exchange = subjects.split_vt_symbol(settings.canary)
    if product_of(symbol) and product_of(symbol) != symbol:
        texts.append(alias_of(exchange, product_of(symbol)))
    return texts


async def seed_demo_universe(settings: Settings) -> list[str]:
    """Add the demo universe if the universe is empty; returns the entries added.
    Needs an active Tortoise context."""
    if await UniverseEntry.exists():
        return []
    added = []
    for text in demo_universe(settings):
        try:
            entry = parse_entry(text)
        except EntryError as error:
            log.warning("demo universe entry %r left out: %s", text, error)
            continue
        if await UniverseEntry.filter(text=entry.text).exists():
            continue
        await UniverseEntry.create(text=entry.text, kind=entry.kind, options=False, note="demo")
        added.append(entry.text)
    if added:
        log.info("added the demo universe %s", ", ".join(added))
    return added


def demo_accounts(settings: Settings) -> list[MarketDataAccount]:
    """sim-a (priority 1) and sim-b (priority 2) on the default canary, without
    contracts of their own (the universe's are spread over them): identical ticks
    from two sources, so failover can be watched at once."""
    return [
        MarketDataAccount(
            name=name,
            gateway_type="sim",
            priority=priority,
            is_enabled=True,
            canary=settings.canary,
            contracts=[],
            settings=SimConfig().model_dump(),
        )
        for name, priority in (("sim-a", 1), ("sim-b", 2))
    ]


async def seed_demo(settings: Settings) -> list[str]:
    """Add the demo accounts if the pool is empty, and the demo universe if the
    universe is empty; returns the names of the accounts added.

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
    await seed_demo_universe(settings)
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
    and tickhub's stand-in library (md_library local), ticking around the clock. No
    contracts of their own: the universe's are spread over them."""
    accounts = []
    for priority, (name, (port, _)) in enumerate(
        zip(CTP_DEMO_NAMES, ctp_demo_fronts(settings), strict=True), start=1
    ):
        ctp = CtpConfig(
            userid=CTP_DEMO_USER,
            broker_id=CTP_DEMO_BROKER,
            md_fronts=[f"tcp://127.0.0.1:{port}"],
            # The same front answers the trading side's instrument query: the catalog.
            td_front=f"tcp://127.0.0.1:{port}",
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
                contracts=[],
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
        await seed_demo_universe(settings)
    return added
