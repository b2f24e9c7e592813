"""The gateway types a source can be, behind one factory.

:mod:`.base` is what every type derives from; :mod:`.sim` and :mod:`.ctp` are the types.
Each type is imported only when a source of that type is created: a sim worker never
loads the CTP shared library (and works where it cannot load), and the manager, which
reads :mod:`.ctp.environment` before it starts a ctp worker, loads no vnpy at all.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tickhub_contracts.messages import SourceConfig

if TYPE_CHECKING:
    from vnpy.event import EventEngine

    from .base import SourceGateway


class UnknownGatewayType(ValueError):
    pass


def create_gateway(
    event_engine: EventEngine,
    config: SourceConfig,
    *,
    holidays: frozenset[dt.date] = frozenset(),
) -> SourceGateway:
    """The gateway for ``config.gateway_type``, not yet started. ``holidays``: the
    exchange holidays, for a sim that ticks only in the exchanges' sessions and a ctp
    source that tells ticks in session from the rest."""
    if config.gateway_type == "sim":
        from .sim.gateway import SimGateway

        return SimGateway(event_engine, config, holidays=holidays)
    if config.gateway_type == "ctp":
        from .ctp.gateway import CtpSourceGateway

        return CtpSourceGateway(event_engine, config, holidays=holidays)
    raise UnknownGatewayType(f"unknown gateway type {config.gateway_type!r}")
