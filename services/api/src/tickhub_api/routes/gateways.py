"""/api/gateways: the live pool, every account with what its gateway worker does."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from .. import store
from ..gateway_view import GatewayView, facts_of, gateway_view, stale_after_s
from ..state import nats_of
from .problems import problems

router = APIRouter(prefix="/gateways", tags=["gateways"])


@router.get(
    "",
    summary="The live pool",
    response_model=list[GatewayView],
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": GatewayView.model_config["json_schema_extra"]["examples"]  # type: ignore[index]
                }
            }
        },
        **problems(),
    },
)
async def list_gateways(request: Request) -> list[GatewayView]:
    """Every account, preferred first, with its gateway worker as the GatewayManager
    last reported it (``tickhub.status.*``) and the contracts it serves now (the
    routing table). An account without a worker says why in ``reason``: disabled,
    stopped by an operator, login failed, exited, ... ``state`` is ``unknown`` when the
    manager has not reported the account lately (the gateway service is down)."""
    board = nats_of(request).board
    stale_s = stale_after_s(request.app.state.settings.status_interval_s)
    now = datetime.now(UTC)
    return [
        gateway_view(facts_of(account), board.status(account.name), board.routes, now, stale_s)
        for account in await store.list_accounts()
    ]
