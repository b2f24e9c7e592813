"""``SimGateway``: a vnpy gateway that behaves like a CTP market-data front.

It logs in (or fails to, like a rejected password), then prints every slot's tick
of each subscribed contract at the slot's time plus this source's ``delay_ms``.
Content comes from :mod:`.feed`, so two sims agree tick for tick. With
``trading_hours="exchange"`` a contract ticks only inside its exchange's sessions
(:mod:`.hours`), like a real front.

The generator runs on its own thread, as a vnpy gateway's API thread does. Each
wake-up it emits every slot that has come due since the last one (so it keeps up at
high rates and after a scheduling hiccup) and then sleeps until the next slot. Fault
requests are queued to that thread so a state change is never interleaved with a
half-emitted slot.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque

from vnpy.event import EventEngine
from vnpy.trader.constant import Exchange
from vnpy.trader.object import SubscribeRequest

from tickhub_contracts.messages import FaultKind, SimSettings, SourceConfig
from tickhub_markets.trading_days import trading_day

from ..base import FaultNotSupported, InstrumentAnswer, SourceGateway
from . import listings
from .feed import NS, SimFeed, period_ns, slot_due
from .hours import SessionGate

# CTP's own answers, so downstream code sees what a real front would send.
LOGIN_REJECTED_CODE = 3
"""CTP's ErrorID 3 (INVALID_LOGIN, a wrong user id or password): a rejected login,
which the health service marks for the operator (see sources/ctp/codes.py)."""
LOGIN_REJECTED_TEXT = "CTP:不合法的登录"
DISCONNECT_CODE = 0x1001
DISCONNECT_TEXT = "网络读失败"

MAX_CATCH_UP_S = 2.0
"""A real front does not replay what it missed; after a longer stall (SIGSTOP, a
frozen machine) the sim skips ahead instead of bursting stale slots."""

SKIP_LOG_INTERVAL_S = 10.0

_SUPPORTED_FAULTS: frozenset[str] = frozenset({"stall", "resume", "disconnect"})


class SimGateway(SourceGateway):
    default_name = "SIM"
    exchanges = [  # noqa: RUF012 (vnpy declares it a class attribute)
        Exchange.SHFE,
        Exchange.INE,
        Exchange.DCE,
        Exchange.CZCE,
        Exchange.CFFEX,
        Exchange.GFEX,
    ]

    def __init__(
        self,
        event_engine: EventEngine,
        config: SourceConfig,
        *,
        holidays: frozenset[dt.date] = frozenset(),
    ) -> None:
        super().__init__(event_engine, config)
        self.sim: SimSettings = config.sim or SimSettings()
        self.gate = SessionGate(holidays) if self.sim.trading_hours == "exchange" else None
        """None: ticks around the clock."""
        self._period_ns = period_ns(self.sim.ticks_per_second)
        # Phase groups split each slot into evenly spaced sub-slots; a period the
        # groups do not divide exactly falls back to one group (exact times matter:
        # both sims must stamp the same tick with the same exchange time).
        groups = max(1, self.sim.phase_groups)
        self._groups = groups if self._period_ns % groups == 0 else 1
        self._delay_ns = round(max(0.0, self.sim.delay_ms) * 1_000_000)
        # Copy-on-write: subscribe() swaps in a new dict, the generator reads a snapshot.
        self._feeds: dict[str, SimFeed] = {}
        self._requests: deque[FaultKind | None] = deque()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self.slots_skipped = 0

    # --- vnpy's gateway interface ---------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"sim-{self.gateway_name}", daemon=True
        )
        self._thread.start()

    def subscribe(self, req: SubscribeRequest) -> None:
        vt_symbol = f"{req.symbol}.{req.exchange.value}"
        if vt_symbol in self._feeds:
            return
        feed = SimFeed(vt_symbol, self.sim.seed, self.sim.ticks_per_second)
        self._feeds = {**self._feeds, vt_symbol: feed}

    def unsubscribe(self, req: SubscribeRequest) -> None:
        vt_symbol = f"{req.symbol}.{req.exchange.value}"
        self._feeds = {k: v for k, v in self._feeds.items() if k != vt_symbol}

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def query_instruments(self) -> None:
        """The simulated market's listings for today's trading day (:mod:`.listings`),
        built off the caller's thread: with options they are tens of thousands."""

        def answer() -> None:
            day = trading_day(dt.datetime.now(dt.UTC))
            found = listings.listed(day, options=self.sim.list_options)
            self.answer_instruments(InstrumentAnswer(instruments=found, trading_day=day))

        threading.Thread(target=answer, name="sim-instruments", daemon=True).start()

    def inject_fault(self, kind: FaultKind) -> None:
        if kind not in _SUPPORTED_FAULTS:
            super().inject_fault(kind)
        if self._thread is None:
            raise FaultNotSupported(f"{self.gateway_name} is not started")
        self._requests.append(kind)
        self._wake.set()

    # --- the generator thread ---------------------------------------------------------

    def _run(self) -> None:
        self.report("connecting")
        self.write_log("行情服务器连接成功")
        connected = self._login()
        stalled = False
        reconnect_at: float | None = None  # monotonic time, while disconnected
        # The loop walks sub-slots: sub = slot * groups + group. With one group a
        # sub-slot is a slot and every contract ticks at once.
        groups = self._groups
        period = self._period_ns // groups
        delay = self._delay_ns
        max_behind = max(1, int(MAX_CATCH_UP_S * NS / period))
        next_slot = slot_due(time.time_ns(), period, delay) + 1
        by_group: list[list[SimFeed]] = []
        grouped_from: dict[str, SimFeed] | None = None
        next_skip_log = 0.0

        while not self._closing.is_set():
            while self._requests:
                kind = self._requests.popleft()
                if kind == "stall":
                    stalled = True
                elif kind == "resume":
                    stalled = False
                    if reconnect_at is not None:
                        reconnect_at = time.monotonic()
                elif kind == "disconnect" and reconnect_at is None:
                    connected = False
                    reconnect_at = time.monotonic() + self.sim.reconnect_after_s
                    self.write_log(f"行情服务器连接断开，原因{DISCONNECT_CODE}")
                    self.report("disconnected", DISCONNECT_CODE, DISCONNECT_TEXT)

            if reconnect_at is not None and time.monotonic() >= reconnect_at:
                reconnect_at = None
                self.report("connecting")
                connected = self._login()

            due = slot_due(time.time_ns(), period, delay)
            if due >= next_slot:
                if due - next_slot >= max_behind:
                    skipped = due - next_slot + 1 - max_behind
                    self.slots_skipped += skipped
                    next_slot += skipped
                    if time.monotonic() >= next_skip_log:
                        next_skip_log = time.monotonic() + SKIP_LOG_INTERVAL_S
                        self.write_log(
                            f"sim fell over {MAX_CATCH_UP_S:g} s behind: skipped {skipped} slots "
                            f"({self.slots_skipped} in all)"
                        )
                if connected and not stalled:
                    feeds = self._feeds
                    if feeds is not grouped_from:  # subscriptions changed: regroup
                        grouped_from = feeds
                        by_group = [[] for _ in range(groups)]
                        for feed in feeds.values():
                            by_group[feed.phase_group(groups)].append(feed)
                    name = self.gateway_name
                    on_tick = self.on_tick
                    gate = self.gate
                    for sub in range(next_slot, due + 1):
                        slot, group = divmod(sub, groups)
                        phase = group * period
                        for feed in by_group[group]:
                            # The sub-slot's start is the tick's exchange time.
                            if gate is None or gate.is_open(feed.vt_symbol, sub * period):
                                on_tick(feed.tick(slot, name, phase))
                next_slot = due + 1

            wait_s = (next_slot * period + delay - time.time_ns()) / NS
            if reconnect_at is not None:
                wait_s = min(wait_s, reconnect_at - time.monotonic())
            if wait_s > 0 and self._wake.wait(wait_s):
                self._wake.clear()

    def _login(self) -> bool:
        if self.sim.fail_login:
            self.write_log(
                f"行情服务器登录失败，代码：{LOGIN_REJECTED_CODE}，信息：{LOGIN_REJECTED_TEXT}"
            )
            self.report("login_failed", LOGIN_REJECTED_CODE, LOGIN_REJECTED_TEXT)
            return False
        self.write_log("行情服务器登录成功")
        self.report("connected")
        return True
