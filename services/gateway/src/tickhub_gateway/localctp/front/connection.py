"""One client of the front: its greeting, heartbeats, requests and idle timeout.

The front speaks first (``HELLO``), then both sides send ``HB`` every
``heartbeat_s``; a client silent for ``timeout_s`` is dropped, as a CTP front drops
a library that stopped talking. Requests are answered in the order they came, as
CTP answers them, with CTP's own error codes (:mod:`.login`). Market data reaches
a connection from the server's fan-out (:meth:`Connection.send`), except the
snapshot replayed on a subscription, which is sent here right after its answer.

A connection is a market-data one until its login says ``api=td`` (the trading
library's): then it is a trading session, which may authenticate (``AUTH``), query
the instruments (``QRY_INSTRUMENT``: one answer line per instrument, written with
the socket's flow control so that 23,000 of them never pile up in memory) and
confirm the settlement statement (``CONFIRM``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from tickhub_runtime.logs import get_logger

from .. import protocol
from ..protocol import Message, ProtocolError, Value, encode, struct_fields
from . import days
from .faults import Faults
from .feed import Feed
from .instruments import QUERY_FILTERS, InstrumentList, matches
from .login import (
    APP_TYPE_INVESTOR,
    AUTH_FAILED,
    AUTH_FAILED_TEXT,
    INVALID_LOGIN,
    INVALID_LOGIN_TEXT,
    NOT_AUTHENT,
    NOT_AUTHENT_TEXT,
    NOT_LOGIN_YET,
    NOT_LOGIN_YET_TEXT,
    ClientAuth,
    Credentials,
    login_answer,
)
from .settings import FrontSettings

log = get_logger(__name__)

MAX_UNSENT_BYTES = 16 * 1024 * 1024
"""A client that lets this much pile up unread is dropped (a slow consumer), so
one stuck reader cannot grow the front's memory without bound."""

_HB = encode(protocol.HB)

QUERY_CHUNK = 500
"""Instrument answers written between two waits for the socket to drain."""
UNKNOWN_LOGGED = 20
"""Subscriptions of instruments the feed does not have, logged one by one per
connection; further ones are counted (a client subscribing the whole market must
not write 23,000 log lines)."""

REPLAYS_KEPT = 100


@dataclass
class Counters:
    accepted: int = 0
    refused: int = 0
    logins_ok: int = 0
    logins_rejected: int = 0
    records_sent: int = 0
    snapshots_replayed: int = 0
    auths_ok: int = 0
    auths_rejected: int = 0
    instrument_queries: int = 0
    instruments_sent: int = 0
    floods_dropped: int = 0
    replays: deque[tuple[str, str, int, int, int, int]] = field(
        default_factory=lambda: deque(maxlen=REPLAYS_KEPT)
    )
    """(InstrumentID, UpdateTime, UpdateMillisec, Volume, BidVolume1, AskVolume1) of the
    newest snapshots replayed on a
    subscription: what a test checks never reaches a client as live."""


@dataclass
class Shared:
    """What every connection of one front uses."""

    settings: FrontSettings
    faults: Faults
    feed: Feed
    credentials: Credentials
    counters: Counters
    clock: Callable[[], datetime]
    """Now, tz-aware (the login answer's trading day and exchange times)."""
    instruments: InstrumentList
    client_auth: ClientAuth = field(default_factory=ClientAuth)
    fixed_trading_day: date | None = None
    """The trading day the front reports; None: the clock's (control ``trading-day``)."""
    max_subscribe_per_s: int | None = None
    """Subscriptions a connection may make within a second before it is dropped."""

    def trading_day(self) -> date:
        """The trading day the front reports now."""
        if self.fixed_trading_day is not None:
            return self.fixed_trading_day
        return days.trading_day(self.clock())


def _request_id(message: Message) -> int:
    try:
        return int(message.get("request_id") or 0)
    except ValueError:
        return 0


class Connection:
    def __init__(
        self,
        shared: Shared,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session_id: int,
    ) -> None:
        self.shared = shared
        self.reader = reader
        self.writer = writer
        self.session_id = session_id
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.broker_id: str | None = None
        self.user_id: str | None = None
        """Set while logged in."""
        self.subscriptions: set[str] = set()
        self.api = "md"
        """``td`` once a login said ``api=td`` (the trading library)."""
        self.authenticated = False
        self.last_received = time.monotonic()
        self.closed = False
        self.close_reason = ""
        self._subscribed_at: deque[tuple[float, int]] = deque()
        """(time.monotonic(), instruments) of the last second's subscriptions."""
        self._unknown_subscribed = 0

    @property
    def logged_in(self) -> bool:
        return self.user_id is not None

    def describe(self) -> str:
        who = f", user {self.user_id}" if self.user_id else ""
        api = ", td" if self.api == protocol.API_TD else ""
        return f"{self.peer} (session {self.session_id}{who}{api})"

    # --- sending ------------------------------------------------------------------------

    def send(self, line: bytes) -> bool:
        """Queue an encoded line; False if nothing went out (closed, or silenced)."""
        if self.closed or self.shared.faults.silenced:
            return False
        transport = self.writer.transport
        if transport.is_closing():
            return False
        transport.write(line)
        unsent = transport.get_write_buffer_size()
        if unsent > MAX_UNSENT_BYTES:
            self.close(f"slow consumer: {unsent} bytes unread")
            return False
        return True

    def _send(self, message_type: str, fields: list[tuple[str, Value]]) -> None:
        self.send(encode(message_type, fields))

    def close(self, reason: str) -> None:
        """Close once, with one log line saying why."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        log.info("connection %s closed: %s", self.describe(), reason)
        self.writer.close()

    # --- the session --------------------------------------------------------------------

    async def serve(self) -> None:
        """Run the session until it ends, for whatever reason."""
        speaker = asyncio.create_task(self._speak(), name=f"ctp-front-hb-{self.session_id}")
        try:
            await self._read_loop()
        except Exception:  # a bug of the front must not pass for the client's doing
            log.exception("connection %s failed", self.describe())
            self.close("front error")
        finally:
            speaker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speaker
            self.close("front stopping")
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()

    async def _speak(self) -> None:
        """HELLO (once the front may speak), then a heartbeat every heartbeat_s."""
        settings = self.shared.settings
        await self.shared.faults.wait_speaking()
        self._send(
            protocol.HELLO,
            [
                ("protocol", protocol.PROTOCOL_VERSION),
                ("front", protocol.FRONT_NAME),
                ("heartbeat_s", settings.heartbeat_s),
                ("timeout_s", settings.timeout_s),
            ],
        )
        while not self.closed:
            await asyncio.sleep(settings.heartbeat_s)
            self.send(_HB)

    def _silent_for(self) -> float:
        """How long the client has said nothing that counts (a silence of the front
        ends with life for everyone: nobody could answer a silent front)."""
        life = max(self.last_received, self.shared.faults.silence_ended_at)
        return time.monotonic() - life

    async def _read_loop(self) -> None:
        faults = self.shared.faults
        timeout_s = self.shared.settings.timeout_s
        while not self.closed:
            wait_s = timeout_s if faults.silenced else timeout_s - self._silent_for()
            try:
                if wait_s <= 0:
                    raise TimeoutError
                line = await asyncio.wait_for(self.reader.readuntil(b"\n"), wait_s)
            except TimeoutError:
                if not faults.silenced and self._silent_for() >= timeout_s:
                    self.close(f"client silent for {timeout_s} s")
                    return
                continue
            except asyncio.IncompleteReadError as error:
                self.close("closed by the client" + (" mid-line" if error.partial else ""))
                return
            except asyncio.LimitOverrunError:
                self.close(f"protocol error: a line longer than {protocol.MAX_LINE} bytes")
                return
            except OSError as error:
                self.close(f"read failed: {error.strerror or error}")
                return
            self.last_received = time.monotonic()
            # A silenced front is a hung one: what arrives waits until it speaks again.
            await faults.wait_speaking()
            if self.writer.transport.is_closing():
                return  # closed meanwhile (a drop during the silence)
            try:
                await self._handle(protocol.decode(line))
            except ProtocolError as error:
                self.close(f"protocol error: {error}")
                return
            # A long answer (the instrument query) reads nothing meanwhile: the client's
            # heartbeats wait unread, and the time spent is not its silence.
            self.last_received = time.monotonic()

    # --- requests -----------------------------------------------------------------------

    async def _handle(self, message: Message) -> None:
        kind = message.type
        if kind == protocol.HB:
            return
        if kind == protocol.LOGIN:
            self._login(message)
        elif kind == protocol.LOGOUT:
            self._logout(message)
        elif kind == protocol.SUB:
            self._subscribe(message, subscribe=True)
        elif kind == protocol.UNSUB:
            self._subscribe(message, subscribe=False)
        elif kind == protocol.AUTH:
            self._authenticate(message)
        elif kind == protocol.QRY_INSTRUMENT:
            await self._query_instruments(message)
        elif kind == protocol.CONFIRM:
            self._confirm(message)
        else:
            log.warning("connection %s: unknown message %s ignored", self.describe(), kind)

    def _authenticate(self, message: Message) -> None:
        """Client authentication (CTP's 看穿式监管): the AppID and AuthCode the front
        was given, if any; ErrorID 63 otherwise, as CTP answers."""
        shared = self.shared
        self.api = protocol.API_TD
        broker_id, user_id = message.get("BrokerID"), message.get("UserID")
        app_id = message.get("AppID")
        wrong = shared.client_auth.check(app_id, message.get("AuthCode"))
        if wrong is None:
            self.authenticated = True
            shared.counters.auths_ok += 1
            code, text = 0, ""
            log.info("authenticated: app id %r on %s", app_id, self.describe())
        else:
            self.authenticated = False
            shared.counters.auths_rejected += 1
            code, text = AUTH_FAILED, AUTH_FAILED_TEXT
            log.warning("authentication rejected (wrong %s): app id %r on %s",
                        wrong, app_id, self.describe())  # fmt: skip
        self._send(
            protocol.RSP_AUTH,
            [
                ("request_id", _request_id(message)),
                ("ErrorID", code),
                ("ErrorMsg", text),
                ("BrokerID", broker_id),
                ("UserID", user_id),
                ("UserProductInfo", message.get("UserProductInfo")),
                ("AppID", app_id),
                ("AppType", APP_TYPE_INVESTOR),
            ],
        )

    def _login(self, message: Message) -> None:
        shared = self.shared
        request_id = _request_id(message)
        broker_id = message.get("BrokerID")
        user_id = message.get("UserID")
        if message.get("api") == protocol.API_TD:
            self.api = protocol.API_TD
        if shared.faults.rejecting_logins:
            reason: str | None = "fault reject-logins"
        else:
            reason = shared.credentials.check(broker_id, user_id, message.get("Password"))
        if (
            reason is None
            and self.api == protocol.API_TD
            and shared.client_auth.required
            and not self.authenticated
        ):
            shared.counters.logins_rejected += 1
            log.warning("trading login without authentication: broker %r user %r on %s",
                        broker_id, user_id, self.describe())  # fmt: skip
            self._send(
                protocol.RSP_LOGIN,
                [("request_id", request_id), ("ErrorID", NOT_AUTHENT),
                 ("ErrorMsg", NOT_AUTHENT_TEXT), ("BrokerID", broker_id), ("UserID", user_id)],
            )  # fmt: skip
            return
        if reason is not None:
            shared.counters.logins_rejected += 1
            self.broker_id = self.user_id = None
            self.subscriptions.clear()
            # Never the password, not even a wrong one: it may be a real account's.
            log.warning(
                "login rejected (%s): broker %r user %r on %s",
                reason if reason.startswith("fault") else f"wrong {reason}",
                broker_id,
                user_id,
                self.describe(),
            )
            self._send(
                protocol.RSP_LOGIN,
                [
                    ("request_id", request_id),
                    ("ErrorID", INVALID_LOGIN),
                    ("ErrorMsg", INVALID_LOGIN_TEXT),
                    ("BrokerID", broker_id),
                    ("UserID", user_id),
                ],
            )
            return
        answer = login_answer(
            shared.clock(),
            broker_id,
            user_id,
            shared.settings.front_id,
            self.session_id,
            shared.trading_day(),
        )
        self.broker_id, self.user_id = broker_id, user_id
        shared.counters.logins_ok += 1
        log.info(
            "login ok: broker %s user %s on %s, trading day %s",
            broker_id,
            user_id,
            self.describe(),
            answer.TradingDay,
        )
        self._send(
            protocol.RSP_LOGIN,
            [("request_id", request_id), ("ErrorID", 0), ("ErrorMsg", ""), *struct_fields(answer)],
        )

    def _logout(self, message: Message) -> None:
        request_id = _request_id(message)
        broker_id, user_id = message.get("BrokerID"), message.get("UserID")
        if self.logged_in:
            log.info("logout: %s", self.describe())
            code, text = 0, ""
        else:
            code, text = NOT_LOGIN_YET, NOT_LOGIN_YET_TEXT
        self.broker_id = self.user_id = None
        self.subscriptions.clear()
        self._send(
            protocol.RSP_LOGOUT,
            [
                ("request_id", request_id),
                ("ErrorID", code),
                ("ErrorMsg", text),
                ("BrokerID", broker_id),
                ("UserID", user_id),
            ],
        )

    def _subscribe(self, message: Message, *, subscribe: bool) -> None:
        """One answer per instrument, ``last`` on the final one. CTP answers success
        for any instrument, known or not; an unknown one just never gets data."""
        ids = [part.strip() for part in message.get("ids").split(",") if part.strip()]
        if subscribe and self._flooding(len(ids)):
            return
        answer = protocol.RSP_SUB if subscribe else protocol.RSP_UNSUB
        feed = self.shared.feed
        faults = self.shared.faults
        for n, instrument in enumerate(ids):
            last = 1 if n == len(ids) - 1 else 0
            if not self.logged_in:
                code, text = NOT_LOGIN_YET, NOT_LOGIN_YET_TEXT
            else:
                code, text = 0, ""
                if subscribe:
                    self.subscriptions.add(instrument)
                    if not feed.knows(instrument):
                        self._unknown_subscribed += 1
                        if self._unknown_subscribed <= UNKNOWN_LOGGED:
                            log.info(
                                "%s subscribed %s, which this front's feed does not have: "
                                "no data will come (as from CTP)%s",
                                self.describe(),
                                instrument,
                                " (further ones are not logged)"
                                if self._unknown_subscribed == UNKNOWN_LOGGED
                                else "",
                            )
                else:
                    self.subscriptions.discard(instrument)
            self._send(
                answer,
                [
                    ("request_id", 0),
                    ("InstrumentID", instrument),
                    ("ErrorID", code),
                    ("ErrorMsg", text),
                    ("last", last),
                ],
            )
            if subscribe and code == 0 and not faults.stalled:
                # CTP replays its last snapshot of the instrument on subscription.
                snapshot = feed.snapshot(instrument)
                if snapshot is not None and self.send(encode(protocol.MD, struct_fields(snapshot))):
                    counters = self.shared.counters
                    counters.records_sent += 1
                    counters.snapshots_replayed += 1
                    counters.replays.append(
                        (snapshot.InstrumentID, snapshot.UpdateTime, snapshot.UpdateMillisec,
                         snapshot.Volume, snapshot.BidVolume1, snapshot.AskVolume1)
                    )  # fmt: skip

    def _flooding(self, count: int) -> bool:
        """Count ``count`` instruments subscribed now; True (and the connection closed)
        when this second's subscriptions exceed the front's limit, as a real front
        drops a client that floods it (vnpy_ctp users see 0x1001 subscribing thousands
        at once)."""
        limit = self.shared.max_subscribe_per_s
        now = time.monotonic()
        window = self._subscribed_at
        window.append((now, count))
        while window and window[0][0] <= now - 1.0:
            window.popleft()
        if limit is None:
            return False
        total = sum(n for _, n in window)
        if total <= limit:
            return False
        self.shared.counters.floods_dropped += 1
        self.close(f"subscription flood: {total} instruments within 1 s (limit {limit})")
        return True

    # --- the trading side ---------------------------------------------------------------

    async def _query_instruments(self, message: Message) -> None:
        """One ``RSP_QRY_INSTRUMENT`` per instrument of the front's trading day that
        passes the query's filters, ``last`` on the final one; none at all: one line
        without an instrument. Written in chunks, each waiting for the socket to take
        the previous ones (a client reading slowly slows the answer, it does not grow
        the front's memory)."""
        shared = self.shared
        request_id = _request_id(message)
        self.api = protocol.API_TD
        if not self.logged_in:
            self._send(
                protocol.RSP_QRY_INSTRUMENT,
                [("request_id", request_id), ("ErrorID", NOT_LOGIN_YET),
                 ("ErrorMsg", NOT_LOGIN_YET_TEXT), ("last", 1)],
            )  # fmt: skip
            return
        day = shared.trading_day()
        filters = {key: message.get(key) for key in QUERY_FILTERS if message.get(key)}
        listed = shared.instruments.listed(day)
        chosen = [each for each in listed if matches(each, filters)] if filters else listed
        shared.counters.instrument_queries += 1
        log.info("instrument query %d from %s: %d of %d instruments of %s%s",
                 request_id, self.describe(), len(chosen), len(listed), day.isoformat(),
                 f" ({filters})" if filters else "")  # fmt: skip
        head = f"{protocol.RSP_QRY_INSTRUMENT}\trequest_id={request_id}\tErrorID=0\tErrorMsg="
        if not chosen:
            self.send(f"{head}\tlast=1\n".encode())
            return
        more = f"{head}\tlast=0".encode()
        final = f"{head}\tlast=1".encode()
        last_index = len(chosen) - 1
        for start in range(0, len(chosen), QUERY_CHUNK):
            chunk = b"".join(
                (final if n == last_index else more) + each.fields + b"\n"
                for n, each in enumerate(chosen[start : start + QUERY_CHUNK], start)
            )
            if not self.send(chunk):
                return
            shared.counters.instruments_sent += min(QUERY_CHUNK, len(chosen) - start)
            try:
                await self.writer.drain()
            except ConnectionError:
                return

    def _confirm(self, message: Message) -> None:
        """The settlement statement is confirmed: there is none to read here."""
        self.api = protocol.API_TD
        request_id = _request_id(message)
        if not self.logged_in:
            code, text = NOT_LOGIN_YET, NOT_LOGIN_YET_TEXT
        else:
            code, text = 0, ""
        now = self.shared.clock()
        self._send(
            protocol.RSP_CONFIRM,
            [
                ("request_id", request_id),
                ("ErrorID", code),
                ("ErrorMsg", text),
                ("BrokerID", message.get("BrokerID")),
                ("InvestorID", message.get("InvestorID")),
                ("ConfirmDate", days.ctp_date(now.date())),
                ("ConfirmTime", days.update_time(now)),
            ],
        )
