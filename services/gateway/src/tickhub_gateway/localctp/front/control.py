"""The front's control port: faults and settings on command, and its state, for tests
and the CLI.

A line protocol on loopback only, usable with ``nc 127.0.0.1 41215``: the client
sends one command per line and gets one line of JSON back for each:

* ``fault drop`` -> ``{"ok": true, "fault": "drop", "dropped": 2, "faults": []}``
* ``fault silence``, ``stall``, ``refuse`` or ``reject-logins`` ->
  ``{"ok": true, "fault": "stall", "changed": true, "faults": ["stall"]}``
* ``fault clear`` -> ``{"ok": true, "fault": "clear", "cleared": ["stall"], "faults": []}``
* ``trading-day`` -> ``{"ok": true, "trading_day": "2026-03-10", "fixed": false,
  "instruments": 22802}``: the trading day logins report and the instrument list is
  of; ``trading-day 2026-06-01`` (or ``20260601``) fixes it, ``trading-day auto``
  returns it to the clock's. A test moves a year of listings forward with it.
* ``pace`` -> ``{"ok": true, "max_subscribe_per_s": null}``; ``pace 500`` drops a
  connection that subscribes more than 500 instruments within a second, ``pace off``
  lifts the limit.
* ``status`` (or ``fault status``) -> ``{"ok": true, "front": "tcp://...", "feed": "...",
  "faults": [...], "connections": 1, "sessions": [...], "logged_in": [...],
  "subscriptions": {"rb2605": 1}, "records_sent": 120, "trading_day": "2026-03-10",
  "max_subscribe_per_s": null, ...}``
* anything else -> ``{"ok": false, "error": "..."}``
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any, Protocol

from tickhub_runtime.logs import get_logger

from .faults import FAULT_COMMANDS

log = get_logger(__name__)

CONTROL_HOST = "127.0.0.1"
MAX_COMMAND = 4096


class Controlled(Protocol):
    def set_fault(self, kind: str) -> dict[str, Any]: ...

    def status(self) -> dict[str, Any]: ...

    def set_trading_day(self, text: str) -> dict[str, Any]: ...

    def trading_day_state(self) -> dict[str, Any]: ...

    def set_pace(self, text: str) -> dict[str, Any]: ...

    def pace_state(self) -> dict[str, Any]: ...


def answer(target: Controlled, line: str) -> dict[str, Any]:
    """The reply to one command line."""
    words = line.split()
    try:
        if words in (["status"], ["fault", "status"]):
            return {"ok": True, **target.status()}
        if len(words) == 2 and words[0] == "fault" and words[1] in FAULT_COMMANDS:
            return {"ok": True, **target.set_fault(words[1])}
        if words == ["trading-day"]:
            return {"ok": True, **target.trading_day_state()}
        if len(words) == 2 and words[0] == "trading-day":
            return {"ok": True, **target.set_trading_day(words[1])}
        if words == ["pace"]:
            return {"ok": True, **target.pace_state()}
        if len(words) == 2 and words[0] == "pace":
            return {"ok": True, **target.set_pace(words[1])}
    except ValueError as error:
        return {"ok": False, "error": str(error)}
    return {
        "ok": False,
        "error": f"unknown command {line.strip()!r}: try "
        f"'fault {'|'.join(FAULT_COMMANDS)}', 'trading-day [DAY|auto]', 'pace [N|off]' "
        "or 'status'",
    }


class ControlServer:
    """Serves :func:`answer` on a loopback port."""

    def __init__(self, target: Controlled) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self, port: int) -> int:
        """Listen on ``port`` (0: a free one); the port listened on."""
        self._server = await asyncio.start_server(
            self._client, CONTROL_HOST, port, limit=MAX_COMMAND
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return
                text = line.decode("utf-8", errors="replace")
                try:
                    reply = answer(self.target, text)
                except Exception as error:  # a bug must not take the control port down
                    log.exception("control command %r failed", text.strip())
                    reply = {"ok": False, "error": f"failed: {error}"}
                writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
                await writer.drain()
        except OSError:
            return
        finally:
            self._clients.discard(writer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


# --- the client (blocking: for the CLI and tests) -------------------------------------


class ControlError(Exception):
    """No answer from a control port, or an answer that is not ours; one line."""


def parse_address(text: str, default_host: str = CONTROL_HOST) -> tuple[str, int]:
    """``"127.0.0.1:41215"`` or ``"41215"`` -> (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = default_host, text
    host = host.strip("[]") or default_host
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def request(host: str, port: int, command: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """Send one command, return its answer (``ok`` may be false)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(command.strip().encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as error:
        reason = "no answer" if isinstance(error, TimeoutError) else error.strerror or error
        raise ControlError(f"ctp-front control port {host}:{port}: {reason}") from None
    try:
        reply = json.loads(data)
    except ValueError:
        raise ControlError(f"{host}:{port} is not a ctp-front control port") from None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise ControlError(f"{host}:{port} is not a ctp-front control port")
    return reply
