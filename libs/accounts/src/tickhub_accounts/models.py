"""The hub's tables: the account pool (one row per market-data account, a "source"),
the contract universe (the desk's entries), the instrument catalog (what is listed)
and the allocation (which universe contracts each account carries).

Who writes what: the api writes the accounts and the universe's entries; the gateway
manager alone writes the catalog, its state and the allocation
(:mod:`tickhub_accounts.universe_store`); everyone may read.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class MarketDataAccount(Model):
    """One market-data account, table ``accounts``.

    ``priority``: lower number = preferred; the failover engine picks the connected
    source with the lowest number (ties: the lower id). ``contracts`` is an explicit
    override: non-empty, the account carries exactly these (and its canary) and takes
    no universe contract; empty, it takes part in the allocation of the universe, up
    to ``capacity`` contracts (canary included), never one of ``excluded`` (exchanges
    like ``CZCE`` or products like ``SR.CZCE``). ``settings`` holds the
    non-secret settings of ``gateway_type`` (:class:`tickhub_accounts.rules.CtpConfig`
    or :class:`~tickhub_accounts.rules.SimConfig`, as JSON). The ctp password and auth
    code live only in the ``*_encrypted`` columns (Fernet tokens,
    :mod:`tickhub_accounts.crypto`).
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    gateway_type = fields.CharField(max_length=8, description="ctp or sim")
    priority = fields.IntField(default=1, description="Lower number = preferred")
    is_enabled = fields.BooleanField(default=True)
    canary = fields.CharField(max_length=80, description="vt_symbol proving the feed is alive")
    contracts: Any = fields.JSONField(
        default=list, description="Explicit vt_symbols; empty: takes part in the allocation"
    )
    capacity = fields.IntField(
        default=5000, description="Most contracts it may subscribe, canary included"
    )
    excluded: Any = fields.JSONField(
        default=list, description="Exchanges or products it must not serve"
    )
    settings: Any = fields.JSONField(default=dict, description="Non-secret settings of the type")
    password_encrypted: str | None = fields.TextField(null=True)
    auth_code_encrypted: str | None = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "accounts"
        ordering = ("priority", "id")

    def __str__(self) -> str:
        # Never the row's values: a row holds (encrypted) secrets.
        return f"account {self.id} {self.name!r}"


class UniverseEntry(Model):
    """One entry of the contract universe.

    Table ``universe_entries``: a contract (``rb2605.SHFE``), a product
    (``rb.SHFE``), an exchange (``SHFE``), a pattern (``rb26*.SHFE``) or a
    main-contract alias (``rb888.SHFE``), as :func:`tickhub_universe.entries.parse_entry`
    reads it, in its canonical spelling. ``options``: the options on what it names are
    wanted too."""

    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=80, unique=True, description="The entry as written")
    kind = fields.CharField(max_length=16, description="What the text names (parse_entry)")
    options = fields.BooleanField(default=False, description="Its options are wanted too")
    note = fields.CharField(max_length=200, default="", description="The desk's own words")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "universe_entries"
        ordering = ("text",)

    def __str__(self) -> str:
        return f"universe entry {self.id} {self.text!r}"


class CatalogInstrument(Model):
    """One listed instrument of the catalog.

    Table ``instruments``: the catalog as the gateway manager last stored it
    (:class:`tickhub_contracts.messages.Instrument`)."""

    id = fields.IntField(primary_key=True)
    vt_symbol = fields.CharField(max_length=80, unique=True)
    symbol = fields.CharField(max_length=64)
    exchange = fields.CharField(max_length=8, db_index=True)
    product = fields.CharField(max_length=32, db_index=True)
    kind = fields.CharField(max_length=8, description="future, option, spread or other")
    name = fields.CharField(max_length=100, default="")
    expiry = fields.DateField(null=True, description="Last trading day")
    listed = fields.DateField(null=True, description="First trading day")
    tick_size = fields.FloatField(default=0.0)
    multiplier = fields.FloatField(default=0.0)
    underlying = fields.CharField(max_length=80, default="", description="An option's vt_symbol")
    option_type = fields.CharField(max_length=4, default="", description="call, put or empty")
    strike = fields.FloatField(null=True)

    class Meta:
        table = "instruments"
        ordering = ("vt_symbol",)

    def __str__(self) -> str:
        return f"instrument {self.vt_symbol}"


class CatalogState(Model):
    """Where the stored catalog came from, and when.

    Table ``catalog_state``: one row (id 1), written with the catalog."""

    id = fields.IntField(primary_key=True)
    origin = fields.CharField(
        max_length=64, default="", description='A source name, "file", or "" (none yet)'
    )
    trading_day = fields.DateField(null=True)
    refreshed_at = fields.DatetimeField(null=True)
    instruments = fields.IntField(default=0)

    class Meta:
        table = "catalog_state"


class Allocation(Model):
    """The universe contracts one account carries.

    Table ``allocations``: written by the gateway manager each time it spreads the
    universe over the pool."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[MarketDataAccount] = fields.OneToOneField(
        "models.MarketDataAccount", related_name="allocation", on_delete=fields.CASCADE
    )
    account_id: int
    contracts: Any = fields.JSONField(default=list, description="vt_symbols it carries")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "allocations"

    def __str__(self) -> str:
        return f"allocation {self.id}"
