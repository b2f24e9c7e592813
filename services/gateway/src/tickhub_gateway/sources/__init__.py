"""The gateway types a source can be, behind one factory.

Each type is imported only when a source of that type is created: a sim worker never
loads the CTP shared library (and works where it cannot load).
"""

from __future__ import annotations

import datetime as dt

from vnpy.event import EventEngine

from tickhub_contracts.messages import SourceConfig

from ..events import SourceGateway


class UnknownGatewayType(ValueError):
    pass


def create_gateway(
    event_engine: EventEngine,
    config: SourceConfig,
    *,
    holidays: frozenset[dt.date] = frozenset(),
) -> SourceGateway:
    """The gateway for ``config.gateway_type``, not yet started. ``holidays``: the
    exchange holidays, for a sim that ticks only in the exchanges' sessions."""
    if config.gateway_type == "sim":
        from .sim import SimGateway

        return SimGateway(event_engine, config, holidays=holidays)
    if config.gateway_type == "ctp":
        from .ctp import CtpSourceGateway

        return CtpSourceGateway(event_engine, config)
    raise UnknownGatewayType(f"unknown gateway type {config.gateway_type!r}")
