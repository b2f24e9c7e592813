"""One client of the front: its greeting, heartbeats, requests and idle timeout.

The front speaks first (``HELLO``), then both sides send ``HB`` every
``heartbeat_s``; a client silent for ``timeout_s`` is dropped, as a CTP front drops
a library that stopped talking. Requests are answered in the order they came, as
CTP answers them, with CTP's own error codes (:mod:`.login`). Market data reaches
a connection from the server's fan-out (:meth:`Connection.send`), except the
snapshot replayed on a subscription, which is sent here right after its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tickhub_runtime.logs import get_logger

from .. import protocol
from ..protocol import Message, ProtocolError, Value, encode, struct_fields
from .faults import Faults
from .feed import Feed
from .login import (
    INVALID_LOGIN,
    INVALID_LOGIN_TEXT,
    NOT_LOGIN_YET,
    NOT_LOGIN_YET_TEXT,
    Credentials,
    login_answer,
)
from .settings import FrontSettings

log = get_logger(__name__)

MAX_UNSENT_BYTES = 16 * 1024 * 1024
"""A client that lets this much pile up unread is dropped (a slow consumer), so
one stuck reader cannot grow the front's memory without bound."""

_HB = encode(protocol.HB)


REPLAYS_KEPT = 100


@dataclass
class Counters:
    accepted: int = 0
    refused: int = 0
    logins_ok: int = 0
    logins_rejected: int = 0
    records_sent: int = 0
    snapshots_replayed: int = 0
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
        self.last_received = time.monotonic()
        self.closed = False
        self.close_reason = ""

    @property
    def logged_in(self) -> bool:
        return self.user_id is not None

    def describe(self) -> str:
        who = f", user {self.user_id}" if self.user_id else ""
        return f"{self.peer} (session {self.session_id}{who})"

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
                self._handle(protocol.decode(line))
            except ProtocolError as error:
                self.close(f"protocol error: {error}")
                return

    # --- requests -----------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
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
        else:
            log.warning("connection %s: unknown message %s ignored", self.describe(), kind)

    def _login(self, message: Message) -> None:
        shared = self.shared
        request_id = _request_id(message)
        broker_id = message.get("BrokerID")
        user_id = message.get("UserID")
        if shared.faults.rejecting_logins:
            reason: str | None = "fault reject-logins"
        else:
            reason = shared.credentials.check(broker_id, user_id, message.get("Password"))
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
            shared.clock(), broker_id, user_id, shared.settings.front_id, self.session_id
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
                        log.info(
                            "%s subscribed %s, which this front's feed does not have: "
                            "no data will come (as from CTP)",
                            self.describe(),
                            instrument,
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
