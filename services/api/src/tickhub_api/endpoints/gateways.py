"""/api/gateways: the live pool, every account with what its gateway worker does."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..gateway_view import GatewayView
from ..state import nats_of
from ..views import all_views
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
    last reported it (``tickhub.status.*``), the health service's verdict on it
    (``tickhub_health``), the contracts it serves now (the routing table) and its ticks
    the publisher did not send, by reason (``drops``, ``tickhub.publisher.stats``). An
    account without a worker says why in ``reason``: disabled, stopped by an operator,
    login failed, exited, ... ``state`` is ``unknown`` when the manager has not
    reported the account lately (the gateway service is down); ``health`` is null when
    the health service has not judged it lately, ``drops`` when the publisher has not
    given its counts lately. The same objects open the ``/ws`` snapshot."""
    return await all_views(nats_of(request).board, request.app.state.settings)
