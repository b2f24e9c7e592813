"""SourceGateway.on_tick: the worker's sink takes ticks on the gateway's own thread,
skipping vnpy's EventEngine queue; without a sink, vnpy's own way."""

from __future__ import annotations

import queue
import threading
from datetime import datetime

from vnpy.event import Event, EventEngine
from vnpy.trader.constant import Exchange
from vnpy.trader.event import EVENT_TICK
from vnpy.trader.object import TickData

from tickhub_contracts.messages import FaultKind, SimSettings, SourceConfig
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.base import SourceGateway


class Bare(SourceGateway):
    def start(self) -> None:
        pass

    def subscribe(self, req: object) -> None:
        pass

    def close(self) -> None:
        pass

    def inject_fault(self, kind: FaultKind) -> None:
        pass


def _tick() -> TickData:
    at = datetime(2026, 11, 24, 21, tzinfo=CHINA_TZ)
    return TickData(gateway_name="g", symbol="rb2605", exchange=Exchange.SHFE, datetime=at)


def _gateway(engine: EventEngine) -> Bare:
    config = SourceConfig(name="g", gateway_type="sim", sim=SimSettings())
    return Bare(engine, config)


def test_with_a_sink_the_tick_goes_to_it_on_the_callers_thread_not_to_the_engine() -> None:
    engine = EventEngine()
    events: queue.Queue[Event] = queue.Queue()
    engine.register(EVENT_TICK, events.put)
    engine.register("probe", events.put)
    engine.start()
    try:
        gateway = _gateway(engine)
        got: list[tuple[TickData, int]] = []
        gateway.tick_sink = lambda t: got.append((t, threading.get_ident()))
        tick = _tick()
        gateway.on_tick(tick)
        assert got == [(tick, threading.get_ident())]
        # The engine is FIFO: a tick event queued by on_tick would come before this.
        gateway.on_event("probe", None)
        assert events.get(timeout=5).type == "probe"
    finally:
        engine.stop()


def test_without_a_sink_the_tick_is_an_engine_event() -> None:
    engine = EventEngine()
    events: queue.Queue[Event] = queue.Queue()
    engine.register(EVENT_TICK, events.put)
    engine.start()
    try:
        tick = _tick()
        _gateway(engine).on_tick(tick)
        assert events.get(timeout=5).data is tick
    finally:
        engine.stop()
