"""Request and response bodies of /api/universe and /api/instruments.

The rules of an entry's fields come from :mod:`tickhub_accounts.rules` (the entry's
grammar from :mod:`tickhub_universe.entries`); the catalog's fields are those of
:class:`tickhub_contracts.messages.Instrument`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from tickhub_accounts.rules import EntryText, Note, Strict, WithOptions
from tickhub_contracts.messages import InstrumentKind
from tickhub_universe.entries import EntryKind

# "Left out" (see schemas._ABSENT): only fields that were sent are read.
_ABSENT: Any = Field(None)

Problem = Literal["uncovered", "single"]

# --- examples (shown in /docs) ------------------------------------------------

ENTRY_EXAMPLE: dict[str, Any] = {
    "id": 4,
    "text": "rb.SHFE",
    "kind": "product",
    "options": False,
    "note": "steel desk",
    "created_at": "2026-12-01T01:02:03.456789Z",
    "updated_at": "2026-12-01T01:02:03.456789Z",
}
CATALOG_EXAMPLE: dict[str, Any] = {
    "origin": "ctp-main",
    "trading_day": "2026-12-02",
    "refreshed_at": "2026-12-01T12:30:04.120000Z",
    "instruments": 41237,
}
INSTRUMENT_EXAMPLE: dict[str, Any] = {
    "vt_symbol": "rb2605.SHFE",
    "symbol": "rb2605",
    "exchange": "SHFE",
    "product": "rb",
    "kind": "future",
    "name": "螺纹钢2605",
    "expiry": "2026-05-15",
    "listed": "2025-05-16",
    "tick_size": 1.0,
    "multiplier": 10.0,
    "underlying": "",
    "option_type": "",
    "strike": None,
}
RESOLVED_EXAMPLE: dict[str, Any] = {
    "trading_day": "2026-12-02",
    "catalog": CATALOG_EXAMPLE,
    "total": 2,
    "counts": {"contracts": 26, "uncovered": 0, "single": 1},
    "contracts": [
        {
            "vt_symbol": "rb2605.SHFE",
            "entries": ["rb.SHFE", "rb888.SHFE"],
            "sources": ["ctp-main", "ctp-backup"],
            "kind": "future",
            "expiry": "2026-05-15",
        },
        {
            "vt_symbol": "rb2606.SHFE",
            "entries": ["rb.SHFE", "rb888.SHFE"],
            "sources": ["ctp-main"],
            "kind": "future",
            "expiry": "2026-06-15",
        },
    ],
    "aliases": [
        {
            "alias": "rb888.SHFE",
            "product": "rb.SHFE",
            "vt_symbol": "rb2605.SHFE",
            "trading_day": "2026-12-02",
        }
    ],
    "unmatched": ["zz.SHFE"],
    "not_listed": ["rb2505.SHFE"],
}
REFRESHED_EXAMPLE: dict[str, Any] = {
    "ok": True,
    "origin": "ctp-main",
    "trading_day": "2026-12-02",
    "instruments": 41237,
    "listed": ["rb2612.SHFE"],
    "expired": ["rb2511.SHFE"],
    "at": "2026-12-01T12:30:04.120000Z",
    "error": "",
}


# --- the universe's entries ---------------------------------------------------


class EntryCreate(Strict):
    """A new entry of the universe."""

    text: EntryText
    options: WithOptions = False
    note: Note = ""


class EntryUpdate(Strict):
    """A partial update: only the fields present change (the text never does: delete
    the entry and add the new one)."""

    options: WithOptions = _ABSENT
    note: Note = _ABSENT


class EntryOut(BaseModel):
    id: int
    text: str = Field(description="The entry in its canonical spelling.")
    kind: EntryKind = Field(
        description="What it names: contract, product, exchange, pattern or alias."
    )
    options: bool = Field(description="The options on what it names are wanted too.")
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime

    model_config = {"json_schema_extra": {"examples": [ENTRY_EXAMPLE]}}


class UniverseOut(BaseModel):
    entries: list[EntryOut] = Field(description="Every entry, by text.")

    model_config = {"json_schema_extra": {"examples": [{"entries": [ENTRY_EXAMPLE]}]}}


# --- the catalog --------------------------------------------------------------


class CatalogOut(BaseModel):
    """Where the stored catalog came from and when."""

    origin: str = Field(
        description='The source that listed it, "file" (TICKHUB_CATALOG_FILE), or "" while '
        "no catalog was ever stored."
    )
    trading_day: dt.date | None = Field(description="The trading day it was made for.")
    refreshed_at: dt.datetime | None = Field(description="When the gateway stored it.")
    instruments: int = Field(description="Instruments in it.")

    model_config = {"json_schema_extra": {"examples": [CATALOG_EXAMPLE]}}


class InstrumentOut(BaseModel):
    """One listed instrument."""

    vt_symbol: str
    symbol: str
    exchange: str
    product: str = Field(description="CTP's ProductID (an option's own: au_o, MO, SR).")
    kind: InstrumentKind
    name: str
    expiry: dt.date | None = Field(description="The last trading day.")
    listed: dt.date | None = Field(description="The first trading day.")
    tick_size: float
    multiplier: float
    underlying: str = Field(description='An option\'s underlying vt_symbol; "" for the others.')
    option_type: Literal["call", "put", ""]
    strike: float | None

    model_config = {"json_schema_extra": {"examples": [INSTRUMENT_EXAMPLE]}}


class InstrumentPage(BaseModel):
    total: int = Field(description="Instruments matching the filters (the pages add up to it).")
    catalog: CatalogOut
    instruments: list[InstrumentOut] = Field(description="This page, by vt_symbol.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"total": 1, "catalog": CATALOG_EXAMPLE, "instruments": [INSTRUMENT_EXAMPLE]}
            ]
        }
    }


class RefreshOut(BaseModel):
    """The gateway manager's answer to a refresh (``CatalogRefreshed``)."""

    ok: bool
    origin: str = Field(description='Where the catalog came from: a source, "file" or "stored".')
    trading_day: dt.date | None
    instruments: int
    listed: list[str] = Field(description="New in this catalog (at most 100 named).")
    expired: list[str] = Field(description="Gone since the last one (at most 100 named).")
    at: dt.datetime | None
    error: str

    model_config = {"json_schema_extra": {"examples": [REFRESHED_EXAMPLE]}}


# --- the universe resolved ------------------------------------------------------


class ResolvedContract(BaseModel):
    vt_symbol: str
    entries: list[str] = Field(description="The entries that bring it.")
    sources: list[str] = Field(
        description="The enabled accounts that subscribe it (the allocation, an account's "
        "explicit list, its canary), preferred first. None: uncovered; one: no failover."
    )
    kind: InstrumentKind | Literal[""] = Field(
        description='The catalog\'s kind; "" when the catalog does not list it.'
    )
    expiry: dt.date | None


class AliasOut(BaseModel):
    alias: str = Field(description="The topic clients subscribe: rb888.SHFE.")
    product: str = Field(description="Its product: rb.SHFE.")
    vt_symbol: str | None = Field(
        description="The contract it names now (the publisher's decision), null when none "
        "was decided yet."
    )
    trading_day: dt.date | None = Field(description="The trading day that decision is for.")


class ResolvedCounts(BaseModel):
    contracts: int = Field(description="Contracts in the resolved universe.")
    uncovered: int = Field(description="Of them, those no account subscribes.")
    single: int = Field(description="Of them, those a single account subscribes.")


class ResolvedOut(BaseModel):
    trading_day: dt.date = Field(description="The trading day the universe is resolved for.")
    catalog: CatalogOut
    total: int = Field(description="Contracts matching search and problem (pages add up to it).")
    counts: ResolvedCounts
    contracts: list[ResolvedContract] = Field(description="This page, by vt_symbol.")
    aliases: list[AliasOut]
    unmatched: list[str] = Field(description="Entries that name nothing listed.")
    not_listed: list[str] = Field(
        description="Contract entries the catalog does not list (expired, mistyped)."
    )

    model_config = {"json_schema_extra": {"examples": [RESOLVED_EXAMPLE]}}
