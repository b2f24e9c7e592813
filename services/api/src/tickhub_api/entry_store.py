"""The universe's entries in the database, as /api/universe needs them.

Works on validated request models and returns rows; knows nothing of HTTP except the
:class:`~tickhub_api.errors.ApiError` it raises (404, 409).
"""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from tickhub_accounts.models import UniverseEntry
from tickhub_universe.entries import parse_entry

from .errors import ApiError
from .universe_schemas import EntryCreate, EntryOut, EntryUpdate


def not_found(entry_id: int) -> ApiError:
    return ApiError(404, f"no universe entry with id {entry_id}")


def _taken(text: str) -> ApiError:
    return ApiError(409, f"the universe has the entry {text!r} already")


def to_out(entry: UniverseEntry) -> EntryOut:
    return EntryOut.model_validate(
        {
            "id": entry.id,
            "text": entry.text,
            "kind": entry.kind,
            "options": entry.options,
            "note": entry.note,
            "created_at": entry.created_at,
            "updated_at": entry.updated_at,
        }
    )


async def list_entries() -> list[UniverseEntry]:
    return await UniverseEntry.all().order_by("text")


async def get_entry(entry_id: int) -> UniverseEntry:
    entry = await UniverseEntry.get_or_none(id=entry_id)
    if entry is None:
        raise not_found(entry_id)
    return entry


async def create_entry(body: EntryCreate) -> UniverseEntry:
    # The body's text is canonical already (rules.EntryText): it parses as itself.
    parsed = parse_entry(body.text, options=body.options)
    if await UniverseEntry.filter(text=parsed.text).exists():
        raise _taken(parsed.text)
    entry = UniverseEntry(text=parsed.text, kind=parsed.kind, options=body.options, note=body.note)
    try:
        await entry.save()
    except IntegrityError as error:
        if isinstance(error.__cause__, asyncpg.UniqueViolationError):
            raise _taken(parsed.text) from None  # added by someone else meanwhile
        raise
    return entry


async def update_entry(entry_id: int, body: EntryUpdate) -> tuple[UniverseEntry, list[str]]:
    """Apply a partial update; returns the row and the changed fields. Nothing is
    written when nothing changes."""
    async with in_transaction():
        entry = await UniverseEntry.select_for_update().get_or_none(id=entry_id)
        if entry is None:
            raise not_found(entry_id)
        changed: list[str] = []
        for field in ("options", "note"):
            if field in body.model_fields_set:
                value = getattr(body, field)
                if value != getattr(entry, field):
                    setattr(entry, field, value)
                    changed.append(field)
        if changed:
            await entry.save()
    return entry, changed


async def delete_entry(entry_id: int) -> UniverseEntry:
    async with in_transaction():
        entry = await UniverseEntry.select_for_update().get_or_none(id=entry_id)
        if entry is None:
            raise not_found(entry_id)
        await entry.delete()
    return entry
