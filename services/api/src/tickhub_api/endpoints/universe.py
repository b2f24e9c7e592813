"""/api/universe: the contract universe's entries, and the universe resolved.

The entries are the desk's (written here); the catalog and the allocation are the
gateway manager's (read here). Every change of an entry is announced on
``tickhub.universe.changed``: the manager resolves the universe again and spreads it
over the pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from tickhub_accounts.rules import NOTE_MAX

from .. import entry_store
from ..announce import announce_universe
from ..resolved import ResolvedCache, aliases_of, page
from ..state import nats_of
from ..universe_schemas import (
    ENTRY_EXAMPLE,
    AliasOut,
    CatalogOut,
    EntryCreate,
    EntryOut,
    EntryUpdate,
    Problem,
    ResolvedContract,
    ResolvedCounts,
    ResolvedOut,
    UniverseOut,
)
from .problems import problems as _problems

router = APIRouter(prefix="/universe", tags=["universe"])

EntryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The entry's id.", examples=[4])]
SEARCH_PATTERN = r"^[^\x00-\x1F\x7F]*$"
RESOLVED_MAX = 5000


@router.get(
    "",
    summary="List the universe's entries",
    response_model=UniverseOut,
    responses={
        200: {"content": {"application/json": {"example": {"entries": [ENTRY_EXAMPLE]}}}},
        **_problems(422),
    },
)
async def list_entries() -> UniverseOut:
    """Every entry of the universe, by text: what the desk says it trades. What they
    resolve to is ``GET /api/universe/resolved``."""
    return UniverseOut(entries=[entry_store.to_out(e) for e in await entry_store.list_entries()])


@router.get(
    "/resolved",
    summary="The universe resolved: its contracts and who carries them",
    response_model=ResolvedOut,
    responses=_problems(422),
)
async def resolved(
    request: Request,
    search: Annotated[
        str,
        Query(
            max_length=64,
            pattern=SEARCH_PATTERN,
            description="Only contracts whose vt_symbol contains this (any letter case).",
            examples=["rb26"],
        ),
    ] = "",
    problem: Annotated[
        Problem | None,
        Query(
            description="Only contracts no account subscribes (uncovered) or only one does "
            "(single: no failover).",
            examples=["uncovered"],
        ),
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=10_000_000, description="Contracts to skip.", examples=[0])
    ] = 0,
    limit: Annotated[
        int,
        Query(ge=1, le=RESOLVED_MAX, description="Contracts to return at most.", examples=[200]),
    ] = 200,
) -> ResolvedOut:
    """The entries resolved against the stored catalog on today's trading day, as
    the gateway manager resolves them: every contract with the entries that bring it
    and the enabled accounts that subscribe it (the allocation the manager stored,
    an account's explicit list, its canary), preferred first. ``counts`` are the
    whole universe's; ``total`` is what matches ``search`` and ``problem``, of which
    ``offset``/``limit`` give one page. ``aliases`` name each main-contract alias's
    contract as the publisher decided it (``tickhub_main_contracts``; null before a
    decision). ``unmatched``: entries naming nothing listed; ``not_listed``: contract
    entries the catalog does not list. Resolved once per change of the entries, the
    catalog or the trading day: paging is cheap."""
    link = nats_of(request)
    cache: ResolvedCache = request.app.state.resolved
    universe = await cache.get(
        request.app.state.clock(),
        universe_epoch=link.feed.universe_epoch,
        allocation_epoch=link.feed.allocation_epoch,
    )
    total, rows = page(universe, search, problem, offset, limit)
    result = universe.resolved
    meta = universe.meta
    return ResolvedOut(
        trading_day=result.trading_day,
        catalog=CatalogOut(
            origin=meta.origin,
            trading_day=meta.trading_day,
            refreshed_at=meta.refreshed_at,
            instruments=meta.instruments,
        ),
        total=total,
        counts=ResolvedCounts(
            contracts=len(universe.rows), uncovered=universe.uncovered, single=universe.single
        ),
        contracts=[
            ResolvedContract.model_validate(
                {
                    "vt_symbol": row.vt_symbol,
                    "entries": list(row.entries),
                    "sources": list(row.sources),
                    "kind": row.kind,
                    "expiry": row.expiry,
                }
            )
            for row in rows
        ],
        aliases=[
            AliasOut.model_validate(alias)
            for alias in aliases_of(result, link.board.main_contracts)
        ],
        unmatched=list(result.unmatched),
        not_listed=list(result.not_listed),
    )


@router.post(
    "",
    summary="Add an entry to the universe",
    status_code=status.HTTP_201_CREATED,
    response_model=EntryOut,
    responses=_problems(400, 409, 413, 415, 422),
)
async def create_entry(
    request: Request,
    response: Response,
    body: Annotated[
        EntryCreate,
        Body(
            openapi_examples={
                "product": {
                    "summary": "Every month of a product",
                    "value": {"text": "rb.SHFE", "note": "steel desk"},
                },
                "alias": {
                    "summary": "A product's main contract (rb888.SHFE)",
                    "value": {"text": "rb888.SHFE"},
                },
                "options": {
                    "summary": "A product and its options",
                    "value": {"text": "au.SHFE", "options": True},
                },
                "pattern": {"summary": "A pattern", "value": {"text": "IF*.CFFEX"}},
            }
        ),
    ],
) -> EntryOut:
    """Add an entry: an exchange (``SHFE``), a product (``rb.SHFE``), a contract
    (``rb2605.SHFE``), a main-contract alias (``rb888.SHFE``) or a pattern
    (``rb26*.SHFE``, ``*.GFEX``, ``IF*.*``). An entry that is none of these is a 422
    saying why; one the universe has already, a 409. Announced on
    ``tickhub.universe.changed``."""
    entry = await entry_store.create_entry(body)
    await announce_universe(request, "created", entry.text)
    response.headers["Location"] = f"/api/universe/{entry.id}"
    return entry_store.to_out(entry)


@router.patch(
    "/{entry_id}",
    summary="Change an entry's options flag or note",
    response_model=EntryOut,
    responses=_problems(400, 404, 413, 415, 422),
)
async def update_entry(
    request: Request,
    entry_id: EntryId,
    body: Annotated[
        EntryUpdate,
        Body(
            openapi_examples={
                "options": {"summary": "Want its options too", "value": {"options": True}},
                "note": {
                    "summary": f"A new note (at most {NOTE_MAX} characters)",
                    "value": {"note": "moved to the metals desk"},
                },
            }
        ),
    ],
) -> EntryOut:
    """**Partial update**: only the fields present change; ``null`` is refused. The
    text never changes: delete the entry and add the new one."""
    entry, changed = await entry_store.update_entry(entry_id, body)
    if changed:
        await announce_universe(request, "updated", entry.text)
    return entry_store.to_out(entry)


@router.delete(
    "/{entry_id}",
    summary="Remove an entry from the universe",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_problems(404, 422),
)
async def delete_entry(request: Request, entry_id: EntryId) -> Response:
    """Remove the entry; what only it brought is unsubscribed by the gateway."""
    entry = await entry_store.delete_entry(entry_id)
    await announce_universe(request, "deleted", entry.text)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
