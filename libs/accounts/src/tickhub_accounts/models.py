"""The account pool's table: one row per market-data account (a "source")."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class MarketDataAccount(Model):
    """One market-data account, table ``accounts``.

    ``priority``: lower number = preferred; the failover engine picks the connected
    source with the lowest number (ties: the lower id). ``settings`` holds the
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
    contracts: Any = fields.JSONField(default=list, description="vt_symbols to subscribe")
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
