"""What a tickhub gateway adds to vnpy's gateway contract.

vnpy's ``BaseGateway`` reports connection state only as free-text log lines; a hub
that fails over on a lost front needs it as data. Every tickhub gateway therefore
derives from :class:`SourceGateway` and reports its state with :meth:`report`, which
puts an :data:`EVENT_CONNECTION` event carrying a
:class:`~tickhub_contracts.messages.Connection` on the worker's EventEngine.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from vnpy.event import EventEngine
from vnpy.trader.event import EVENT_TICK
from vnpy.trader.gateway import BaseGateway
from vnpy.trader.object import CancelRequest, OrderRequest, SubscribeRequest, TickData

from tickhub_contracts.messages import (
    Connection,
    ConnectionState,
    FaultKind,
    Instrument,
    SourceConfig,
)

EVENT_CONNECTION = "eTickhubConnection"
"""Event type whose data is a :class:`Connection`."""


class FaultNotSupported(Exception):
    """The gateway type cannot inject this fault (e.g. a real CTP front cannot stall)."""


@dataclass(frozen=True)
class InstrumentAnswer:
    """What a source's instrument query found: every listed instrument, or why not."""

    instruments: list[Instrument] = field(default_factory=list)
    trading_day: date | None = None
    error: str = ""


class SourceGateway(BaseGateway):
    """Base of every tickhub gateway: one market-data source, no trading.

    Order and account methods exist only because vnpy declares them abstract; a
    market-data hub never calls them.
    """

    default_name = "SOURCE"

    def __init__(self, event_engine: EventEngine, config: SourceConfig) -> None:
        super().__init__(event_engine, config.name)
        self.config = config
        self.tick_sink: Callable[[TickData], None] | None = None
        """Set by the worker: takes each tick on the gateway's own thread."""
        self.instrument_sink: Callable[[InstrumentAnswer], None] | None = None
        """Set by the worker: takes the answer to :meth:`query_instruments`, on any
        thread."""

    @abstractmethod
    def start(self) -> None:
        """Connect using ``self.config``; returns at once (as vnpy's ``connect``)."""

    def connect(self, setting: dict[str, object]) -> None:
        # vnpy's entry point; tickhub gateways take their settings from the SourceConfig.
        self.start()

    def unsubscribe(self, req: SubscribeRequest) -> None:
        """Stop a contract's feed if the API can (vnpy has no such call). The worker
        drops ticks of unsubscribed contracts anyway, so doing nothing is correct."""

    def query_instruments(self) -> None:
        """Ask the source for every listed instrument; returns at once, the answer goes
        to :attr:`instrument_sink`. A type without an instrument query says so there."""
        self.answer_instruments(
            InstrumentAnswer(error=f"a {self.config.gateway_type} source has no instrument query")
        )

    def answer_instruments(self, answer: InstrumentAnswer) -> None:
        sink = self.instrument_sink
        if sink is not None:
            sink(answer)

    def inject_fault(self, kind: FaultKind) -> None:
        """Rehearse a failure. Crash and hang are done by the worker for every type."""
        raise FaultNotSupported(
            f"{type(self).__name__} ({self.config.gateway_type}) cannot inject {kind!r}"
        )

    def report(
        self, state: ConnectionState, reason_code: int | None = None, message: str = ""
    ) -> None:
        """Publish the connection state (safe from any thread: EventEngine.put is)."""
        self.on_event(
            EVENT_CONNECTION,
            Connection(
                source=self.gateway_name,
                state=state,
                at=datetime.now(UTC),
                reason_code=reason_code,
                message=message,
            ),
        )

    def on_tick(self, tick: TickData) -> None:
        # The tick path skips vnpy's EventEngine when the worker gives a sink: its one
        # queue would cost a thread hop (a GIL hand-off) and a round trip per tick, for
        # a worker whose only tick listener is that sink. Logs and connection events
        # still go through the engine. Without a sink, vnpy's own way (EVENT_TICK only:
        # nobody in a worker listens to EVENT_TICK + vt_symbol).
        sink = self.tick_sink
        if sink is not None:
            sink(tick)
        else:
            self.on_event(EVENT_TICK, tick)

    # --- trading: not part of a market-data source -------------------------------

    def send_order(self, req: OrderRequest) -> str:
        return ""

    def cancel_order(self, req: CancelRequest) -> None:
        return None

    def query_account(self) -> None:
        return None

    def query_position(self) -> None:
        return None
