"""/api/instruments: the instrument catalog, searched; and a request for a new one.

The catalog is the gateway manager's: it lists the instruments from a trading front
(or the operator's catalog file) and stores them; the api reads the table. A refresh
is asked of the manager over NATS (``tickhub.catalog.refresh``) and answered once the
new catalog is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from tortoise.expressions import Q

from tickhub_accounts.models import CatalogInstrument
from tickhub_accounts.rules import EXCHANGES
from tickhub_accounts.universe_store import INSTRUMENT_FIELDS, catalog_meta
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import CatalogRefresh, CatalogRefreshed, InstrumentKind
from tickhub_runtime.logs import get_logger

from ..errors import ApiError
from ..state import nats_of
from ..universe_schemas import (
    REFRESHED_EXAMPLE,
    CatalogOut,
    InstrumentOut,
    InstrumentPage,
    RefreshOut,
)
from .problems import problems as _problems
from .universe import SEARCH_PATTERN

log = get_logger(__name__)

router = APIRouter(prefix="/instruments", tags=["instruments"])

INSTRUMENTS_MAX = 1000
REFRESH_BY = "api"


def _refresh_timeout(request: Request) -> float:
    timeout: float = request.app.state.refresh_timeout_s
    return timeout


@router.get(
    "",
    summary="Search the instrument catalog",
    response_model=InstrumentPage,
    responses=_problems(422),
)
async def list_instruments(
    search: Annotated[
        str,
        Query(
            max_length=64,
            pattern=SEARCH_PATTERN,
            description="Only instruments whose vt_symbol or name contains this (any letter case).",
            examples=["rb26"],
        ),
    ] = "",
    exchange: Annotated[
        str | None,
        Query(
            pattern="^(" + "|".join(EXCHANGES) + ")$",
            description="Only this exchange's.",
            examples=["SHFE"],
        ),
    ] = None,
    kind: Annotated[
        InstrumentKind | None,
        Query(description="Only futures, options, spreads or others.", examples=["future"]),
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=10_000_000, description="Instruments to skip.", examples=[0])
    ] = 0,
    limit: Annotated[
        int,
        Query(
            ge=1, le=INSTRUMENTS_MAX, description="Instruments to return at most.", examples=[100]
        ),
    ] = 100,
) -> InstrumentPage:
    """The instruments the gateway manager last stored, by vt_symbol, filtered;
    ``total`` counts every match, ``offset``/``limit`` give one page. ``catalog``
    says where the catalog came from and when."""
    query = CatalogInstrument.all()
    if search:
        query = query.filter(Q(vt_symbol__icontains=search) | Q(name__icontains=search))
    if exchange is not None:
        query = query.filter(exchange=exchange)
    if kind is not None:
        query = query.filter(kind=kind)
    total = await query.count()
    rows: list[dict[str, Any]] = (
        await query.order_by("vt_symbol").offset(offset).limit(limit).values(*INSTRUMENT_FIELDS)
    )
    meta = await catalog_meta()
    return InstrumentPage(
        total=total,
        catalog=CatalogOut(
            origin=meta.origin,
            trading_day=meta.trading_day,
            refreshed_at=meta.refreshed_at,
            instruments=meta.instruments,
        ),
        instruments=[InstrumentOut.model_validate(row) for row in rows],
    )


@router.post(
    "/refresh",
    summary="Make a new catalog now",
    response_model=RefreshOut,
    responses={
        200: {"content": {"application/json": {"example": REFRESHED_EXAMPLE}}},
        **_problems(502),
    },
)
async def refresh(request: Request) -> RefreshOut:
    """Ask the gateway manager for a new catalog (``tickhub.catalog.refresh``) and
    wait for it (``TICKHUB_CATALOG_QUERY_TIMEOUT_S`` and a little more: a trading
    front lists the whole market at its own pace). 200 with what was listed and what
    expired; 502 when the manager could not make one (``detail`` says why; the stored
    catalog stays); 503 when no gateway manager is listening, NATS is down, or the
    manager did not answer in time (the refresh may still complete: see the
    catalog's ``refreshed_at``)."""
    link = nats_of(request)
    timeout = _refresh_timeout(request)
    if link.nc is None or not link.connected:
        raise ApiError(
            503, "NATS is unreachable: the gateway manager cannot be asked; try again shortly"
        )
    log.info("catalog refresh requested")
    try:
        msg = await link.nc.request(
            subjects.CATALOG_REFRESH, codec.encode(CatalogRefresh(by=REFRESH_BY)), timeout=timeout
        )
    except NoRespondersError:
        raise ApiError(
            503, "no gateway manager is listening on NATS: is the gateway service up?"
        ) from None
    except (NatsTimeout, TimeoutError):
        raise ApiError(
            503,
            f"the gateway manager did not answer within {timeout:g} s; the refresh may "
            "still complete (GET /api/instruments shows the catalog's refreshed_at)",
        ) from None
    try:
        answer = codec.decode(msg.data, CatalogRefreshed)
    except codec.DecodeError as error:
        log.warning("unreadable answer to a catalog refresh: %s", error)
        raise ApiError(
            502, f"the gateway manager's answer is not a CatalogRefreshed ({error})"
        ) from None
    if not answer.ok:
        log.info("catalog refresh failed: %s", answer.error)
        raise ApiError(502, answer.error or "the gateway manager could not make a catalog")
    return RefreshOut(
        ok=answer.ok,
        origin=answer.origin,
        trading_day=answer.trading_day,
        instruments=answer.instruments,
        listed=list(answer.listed),
        expired=list(answer.expired),
        at=answer.at,
        error=answer.error,
    )
