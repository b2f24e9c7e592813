"""The api's HTTP endpoints.

``api_router`` is everything under /api (token required):

* ``accounts.py``: ``/api/accounts`` — the account pool, create-read-update-delete;
* ``control.py``: ``POST /api/accounts/{id}/start|stop|restart`` — a ``Command`` on
  ``subjects.control(name)``, 504 when no ``Reply`` comes within
  ``settings.command_timeout_s``;
* ``gateways.py``: ``GET /api/gateways`` — the accounts joined with the
  GatewayManager's statuses and the routing table (:mod:`tickhub_api.live`);
* ``universe.py``: ``/api/universe`` — the contract universe's entries,
  create-read-update-delete, and ``GET /api/universe/resolved`` (:mod:`tickhub_api.resolved`);
* ``instruments.py``: ``GET /api/instruments`` — the catalog, searched, and
  ``POST /api/instruments/refresh`` — a ``CatalogRefresh`` to the GatewayManager.

They reach NATS through ``state.nats_of(request)`` and the account through
``account_store.get_account``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..guard import reject_unknown_query, require_token
from ..state import require_database
from . import accounts, control, gateways, instruments, universe

api_router = APIRouter(
    prefix="/api",
    dependencies=[
        Depends(require_token),
        Depends(reject_unknown_query),
        Depends(require_database),
    ],
)
api_router.include_router(accounts.router)
api_router.include_router(control.router)
api_router.include_router(gateways.router)
api_router.include_router(universe.router)
api_router.include_router(instruments.router)
