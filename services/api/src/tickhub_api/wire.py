"""The JSON messages of ``/ws`` (docs/ws.md), encoded as the text frames a browser reads.

Each bus message is encoded here once and the same string is queued for every
client: the fan-out costs a queue slot per client, never an encoding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec

from tickhub_contracts.messages import (
    AccountChanged,
    CatalogRefreshed,
    ContractRoute,
    FailoverEvent,
    GatewayStatus,
    LogRecord,
    MainContract,
    PublisherStats,
    RestartEvent,
    SourceHealth,
    UniverseChanged,
)

from .gateway_view import GatewayView

EventType = Literal[
    "status",
    "health",
    "failover",
    "restart",
    "log",
    "accounts",
    "publisher",
    "catalog_changed",
    "universe_changed",
    "allocation_changed",
    "main_contract_changed",
]

EventData = (
    GatewayStatus
    | SourceHealth
    | FailoverEvent
    | RestartEvent
    | LogRecord
    | AccountChanged
    | PublisherStats
    | CatalogRefreshed
    | UniverseChanged
    | MainContract
)

_encoder = msgspec.json.Encoder()


def _text(message: dict[str, Any]) -> str:
    return _encoder.encode(message).decode()


def event(kind: EventType, data: EventData) -> str:
    """``{"type": kind, "data": <the NATS message>}``."""
    return _text({"type": kind, "data": data})


def route(vt_symbol: str, data: ContractRoute | None) -> str:
    """A change of the routing bucket; ``data`` None: no source serves the contract."""
    return _text({"type": "route", "vt_symbol": vt_symbol, "data": data})


def ping(at: datetime, nats: str) -> str:
    return _text({"type": "ping", "at": at, "nats": nats})


def snapshot(
    *,
    at: datetime,
    nats: str,
    database: str,
    gateways: Sequence[GatewayView],
    health: Iterable[SourceHealth],
    routes: Iterable[ContractRoute],
    failovers: Iterable[FailoverEvent],
    restarts: Iterable[RestartEvent],
    logs: Iterable[LogRecord],
) -> str:
    return _text(
        {
            "type": "snapshot",
            "at": at,
            "nats": nats,
            "database": database,
            "gateways": [view.model_dump(mode="json") for view in gateways],
            "health": sorted(health, key=lambda verdict: verdict.source),
            "routes": sorted(routes, key=lambda item: item.vt_symbol),
            "failovers": list(failovers),
            "restarts": list(restarts),
            "logs": list(logs),
        }
    )
