"""/api/accounts/{id}/start|stop|restart: an operator's command to the GatewayManager.

The command goes by NATS request/reply (``tickhub.control.<name>``, a ``Command``
with ``by="operator"``); the api waits ``TICKHUB_COMMAND_TIMEOUT_S`` for the
``Reply`` and no longer: no answer is a 504 that says so, never a hanging request.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, Reply
from tickhub_runtime.logs import get_logger

from .. import account_store, wire
from ..errors import ApiError
from ..gateway_view import GatewayView
from ..state import nats_of
from ..views import view_of
from .accounts import AccountId
from .problems import problems

router = APIRouter(prefix="/accounts", tags=["control"])

Action = Literal["start", "stop", "restart"]

_RESPONSES = problems(404, 409, 422, 502, 504)


async def _command(request: Request, account_id: int, action: Action) -> GatewayView:
    account = await account_store.get_account(account_id)
    log = get_logger(__name__, source=account.name)
    link = nats_of(request)
    settings = request.app.state.settings
    timeout = settings.command_timeout_s
    if link.nc is None or not link.connected:
        raise ApiError(
            503, "NATS is unreachable: the gateway manager cannot be asked; try again shortly"
        )
    log.info("%s of account %d requested by an operator", action, account.id)
    try:
        msg = await link.nc.request(
            subjects.control(account.name),
            codec.encode(Command(action=action, by="operator")),
            timeout=timeout,
        )
    except NoRespondersError:
        raise ApiError(
            504, "no gateway manager is listening on NATS: is the gateway service up?"
        ) from None
    except (NatsTimeout, TimeoutError):
        raise ApiError(
            504,
            f"no gateway manager answered within {timeout:.1f} s: is the gateway service up?",
        ) from None
    try:
        reply = codec.decode(msg.data, Reply)
    except codec.DecodeError as error:
        log.warning("unreadable reply to %s: %s", action, error)
        raise ApiError(502, f"the gateway manager's answer is not a Reply ({error})") from None
    if not reply.ok:
        log.info("%s refused: %s", action, reply.error)
        raise ApiError(409, reply.error or f"the gateway manager refused to {action}")
    if reply.status is not None and link.board.take(reply.status):
        link.feed.publish(wire.event("status", reply.status))
    return view_of(account, link.board, settings)


@router.post(
    "/{account_id}/start",
    summary="Start an account's gateway",
    response_model=GatewayView,
    responses=_RESPONSES,
)
async def start(request: Request, account_id: AccountId) -> GatewayView:
    """Start the worker (if it is not running) and release an operator's stop.
    A disabled account is not started: 409 (enable it with PUT instead)."""
    return await _command(request, account_id, "start")


@router.post(
    "/{account_id}/stop",
    summary="Stop an account's gateway",
    response_model=GatewayView,
    responses=_RESPONSES,
)
async def stop(request: Request, account_id: AccountId) -> GatewayView:
    """Stop the worker (SIGTERM, SIGKILL after ``TICKHUB_RESTART_GRACE_S``) and keep it
    stopped: nothing starts it again by itself, not even a restart of the gateway
    service, until an operator starts it (or enables the account again after
    disabling it)."""
    return await _command(request, account_id, "stop")


@router.post(
    "/{account_id}/restart",
    summary="Hard-restart an account's gateway",
    response_model=GatewayView,
    responses=_RESPONSES,
)
async def restart(request: Request, account_id: AccountId) -> GatewayView:
    """A hard restart: SIGTERM, SIGKILL after the grace period, then a clean new
    process (a new ``pid``). Releases an operator's stop. 409 for a disabled account."""
    return await _command(request, account_id, "restart")
