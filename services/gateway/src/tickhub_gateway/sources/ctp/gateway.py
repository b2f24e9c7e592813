"""``CtpSourceGateway``: one CTP market-data account as a tickhub source.

vnpy_ctp's CtpGateway with tickhub's md and td apis (:mod:`.md`, :mod:`.td`) and the
connection state as data: every state goes out as a Connection event, once per change,
and a watchdog reports ``disconnected`` (or ``login_failed``) when CTP stays silent
(:mod:`.codes`). Closing releases the apis bounded in time (:mod:`.release`).

CTP calls back on its own threads: everything here either only puts events on the
EventEngine (thread-safe) or holds ``_lock``.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vnpy.event import EventEngine
from vnpy.trader.constant import Exchange
from vnpy.trader.object import SubscribeRequest
from vnpy_ctp.gateway.ctp_gateway import CtpGateway

from tickhub_contracts.messages import ConnectionState, CtpSettings, FaultKind, SourceConfig
from tickhub_runtime.logs import get_logger

from ..base import FaultNotSupported, InstrumentAnswer, SourceGateway
from .codes import NO_FRONT_ANSWER, NO_LOGIN_ANSWER, error_of
from .md import TickhubMdApi
from .normalise import SessionWindow
from .td import TickhubTdApi

CTP_EXCHANGES: frozenset[Exchange] = frozenset(
    {Exchange.CFFEX, Exchange.SHFE, Exchange.CZCE, Exchange.DCE, Exchange.INE, Exchange.GFEX}
)

RELEASE_TIMEOUT_S = 1.0
"""How long close() waits for CTP's Release(), known to hang at times. The worker
bounds its whole shutdown too; this keeps the gateway's share of it small."""


def front_address(address: str) -> str:
    """A front as CTP wants it: vnpy's rule, ``tcp://`` unless a scheme is given."""
    address = address.strip()
    if not address:
        raise ValueError("a CTP front address must not be empty")
    if not address.startswith(("tcp://", "ssl://", "socks")):
        address = "tcp://" + address
    return address


def probe(address: str, timeout_s: float = 1.0) -> str:
    """What a plain TCP connect to a front says, in words (CTP's own API will not tell)."""
    parts = urlsplit(address)
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        return f"{address}: not probed"
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s):
            return f"{address}: accepts TCP connections but sent CTP nothing"
    except ConnectionRefusedError:
        return f"{address}: connection refused"
    except TimeoutError:
        return f"{address}: no answer in {timeout_s:g} s"
    except OSError as error:
        return f"{address}: {error.strerror or error}"


class CtpSourceGateway(SourceGateway, CtpGateway):  # type: ignore[misc]  # vnpy_ctp: no types
    """One CTP market-data account as a tickhub source."""

    default_name = "CTP"
    exchanges = sorted(CTP_EXCHANGES, key=lambda exchange: exchange.value)

    clock_tolerance = timedelta(seconds=60)
    """A tick further than this from the local clock, either way, is not live (a
    snapshot from outside the session). Generous, because a local clock off by a few
    seconds must not make a live feed look dead; the worker's ``stale_tick_s`` is
    the finer check on old ticks."""

    def __init__(
        self,
        event_engine: EventEngine,
        config: SourceConfig,
        *,
        holidays: frozenset[dt.date] = frozenset(),
    ) -> None:
        if config.ctp is None:
            raise ValueError(f"source {config.name!r}: gateway_type 'ctp' needs a 'ctp' section")
        settings = config.ctp
        if not settings.md_fronts:
            raise ValueError(f"source {config.name!r}: ctp.md_fronts lists no front")
        if settings.connect_timeout_s <= 0:
            raise ValueError(f"source {config.name!r}: ctp.connect_timeout_s must be > 0")
        self.md_fronts = [front_address(front) for front in settings.md_fronts]
        self.td_front = front_address(settings.td_front) if settings.td_front.strip() else ""

        super().__init__(event_engine, config)
        self.settings: CtpSettings = settings
        # A rehearsal account on a local front ticks around the clock: all in session.
        self.sessions: SessionWindow | None = (
            SessionWindow(holidays) if settings.trading_hours == "exchange" else None
        )
        # The room's logger: the md and td apis log through it too.
        self.log = get_logger("tickhub_gateway.sources.ctp", source=config.name)
        # CtpGateway made vnpy's own apis; these replace them before anything connects.
        self.md_api: TickhubMdApi = TickhubMdApi(self)
        self.td_api: TickhubTdApi = TickhubTdApi(self)

        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._last_report: tuple[ConnectionState, int | None, str] | None = None
        self._watchdog: threading.Timer | None = None
        self._generation = 0

    # --- SourceGateway ------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        # vnpy keeps its files under <cwd>/.vntrader; the worker's cwd is the source's own
        # directory, so two sources' CTP flow files never mix.
        flow_dir = Path.cwd() / ".vntrader" / "ctp"
        production = self.settings.environment == "production"
        self.transition("connecting", message=f"connecting to md front(s) {self.md_fronts}")
        self.md_api.connect_fronts(
            self.md_fronts,
            self.settings.userid,
            self.settings.password,
            self.settings.broker_id,
            production,
            flow_dir / "md",
        )
        if self.td_front:
            # Only for the instrument list (the catalog, the contract names): no
            # account or position queries, a hub does not trade.
            self.td_api.connect_front(
                self.td_front,
                self.settings.userid,
                self.settings.password,
                self.settings.broker_id,
                self.settings.auth_code,
                self.settings.app_id,
                production,
                flow_dir / "td",
            )

    def query_instruments(self) -> None:
        if not self.td_front:
            self.answer_instruments(
                InstrumentAnswer(
                    error="no trading front (td_front) configured: a market-data-only "
                    "account cannot list instruments"
                )
            )
            return
        self.td_api.request_instruments()

    def inject_fault(self, kind: FaultKind) -> None:
        raise FaultNotSupported(
            f"a ctp source cannot {kind!r}: the front is real; crash and hang are the worker's"
        )

    def subscribe(self, req: SubscribeRequest) -> None:
        if req.exchange not in CTP_EXCHANGES:
            raise ValueError(
                f"{req.vt_symbol}: CTP has no exchange {req.exchange.value!r} "
                f"(it has {', '.join(sorted(e.value for e in CTP_EXCHANGES))})"
            )
        self.md_api.subscribe(req)

    def unsubscribe(self, req: SubscribeRequest) -> None:
        self.md_api.unsubscribe(req)

    def close(self) -> None:
        """Release the CTP apis, bounded: CTP's Release() is known to hang at times.

        The apis are released without the GIL (:mod:`.release`), which is what
        lets the bound work: a thread stuck in C++ holding the GIL would stop every
        Python thread, this one included.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._cancel_watchdog()
        releaser = threading.Thread(
            target=self._release, name=f"ctp-release-{self.gateway_name}", daemon=True
        )
        releaser.start()
        releaser.join(timeout=RELEASE_TIMEOUT_S)
        if releaser.is_alive():
            self.log.warning(
                "CTP api release still hangs after %.1f s; leaving it behind", RELEASE_TIMEOUT_S
            )
        self.transition("disconnected", message="closed", closing=True)

    def _release(self) -> None:
        self.md_api.close()
        self.td_api.close()

    # --- connection state -----------------------------------------------------------

    def transition(
        self,
        state: ConnectionState,
        reason_code: int | None = None,
        message: str = "",
        *,
        closing: bool = False,
    ) -> None:
        """Report a state (once per change) and keep the watchdog in step with it.

        Reported under the lock so that two threads' reports cannot overtake each
        other on the way out (report() only puts an event: it never blocks).
        """
        with self._lock:
            if self._closed and not closing:
                return  # callbacks of an api being released: the gateway is closed
            self._generation += 1
            self._cancel_watchdog()
            if state == "connecting" and not self._closed:
                self._arm_watchdog(self._generation)
            key = (state, reason_code, message)
            if key == self._last_report:
                return
            self._last_report = key
            self.log.info(
                "connection %s%s%s",
                state,
                f" code={reason_code}" if reason_code is not None else "",
                f": {message}" if message else "",
            )
            self.report(state, reason_code, message)

    def _arm_watchdog(self, generation: int) -> None:
        timer = threading.Timer(
            self.settings.connect_timeout_s, self._watchdog_fired, args=(generation,)
        )
        timer.daemon = True
        timer.name = f"ctp-watchdog-{self.gateway_name}"
        self._watchdog = timer
        timer.start()

    def _cancel_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _watchdog_fired(self, generation: int) -> None:
        timeout = self.settings.connect_timeout_s
        state: ConnectionState = "disconnected"
        if self.md_api.front_connected:
            state, code = "login_failed", NO_LOGIN_ANSWER
            message = f"md front connected but did not answer the login within {timeout:g} s"
        else:
            code = NO_FRONT_ANSWER
            # Probing takes a moment: do it before looking at the state again.
            findings = "; ".join(probe(front) for front in self.md_fronts)
            message = f"no md front answered within {timeout:g} s ({findings})"
        with self._lock:
            if generation != self._generation or self._closed:
                return  # something happened meanwhile: that state stands
        self.transition(state, code, message)

    # vnpy's CtpGateway helper, used by vnpy's CtpTdApi. One structured warning, not
    # also vnpy's EVENT_LOG line, which the worker would relay a second time.
    def write_error(self, msg: str, error: dict[str, Any]) -> None:
        code, text = error_of(error)
        self.log.warning("%s: ErrorID=%s %s", msg, code, text)
