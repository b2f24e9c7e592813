"""What ``tickhub ctp-front`` does; ``tickhub_cli.main`` owns the arguments and the
exit codes, this module the front's side of them.

Errors are raised, never printed: ValueError (a bad option, an unreadable replay
file: usage, exit 2), OSError (a port in use: exit 2) and ControlError (no front
answers on the control port, or it refused: exit 1).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tickhub_runtime import logs

from . import app
from .control import ControlError, parse_address, request
from .settings import (
    AUTH_CODE_ENV,
    DEFAULT_BROKER,
    DEFAULT_PASSWORD,
    DEFAULT_PORT,
    DEFAULT_USER,
    PASSWORD_ENV,
    FrontSettings,
    control_port_for,
    default_contracts,
    parse_contracts,
    parse_start_at,
    parse_trading_day,
)

__all__ = ["ControlError", "fault", "front_settings", "pace", "serve", "trading_day"]

DEFAULT_CONTROL = f"127.0.0.1:{control_port_for(DEFAULT_PORT)}"


def front_settings(
    *,
    host: str,
    port: int,
    control_port: int | None,
    broker: str | None,
    user: str | None,
    password: str | None,
    replay: Path | None,
    speed: float,
    restamp: bool,
    start_at: str | None = None,
    seed: int,
    contracts: str | None,
    delay_ms: float = 0.0,
    heartbeat_s: int,
    timeout_s: int,
    sim_contracts: list[str],
    canary: str,
    trading_day: str | None = None,
    futures_only: bool = False,
    instruments: Path | None = None,
    app_id: str | None = None,
    auth_code: str | None = None,
    max_subscribe_per_s: int | None = None,
    environ: Mapping[str, str] = os.environ,
) -> FrontSettings:
    """The front's settings from the command line; the password from the option, else
    ``TICKHUB_CTP_FRONT_PASSWORD``, else the rehearsal default; the auth code likewise
    (``TICKHUB_CTP_FRONT_AUTH_CODE``, else none: any client authenticates);
    ``start_at`` as ``--start-at`` takes it (:func:`.settings.parse_start_at`),
    ``trading_day`` as ``--trading-day`` (``2026-03-10``). ValueError if bad."""
    chosen = parse_contracts(contracts) if contracts else default_contracts(sim_contracts, canary)
    if not chosen:
        raise ValueError("--contracts names no contract")
    return FrontSettings(
        host=host,
        port=port,
        control_port=control_port,
        broker_id=broker or DEFAULT_BROKER,
        user_id=user or DEFAULT_USER,
        password=password if password is not None else environ.get(PASSWORD_ENV, DEFAULT_PASSWORD),
        replay=replay,
        speed=speed,
        restamp=restamp,
        start_at_ns=parse_start_at(start_at) if start_at is not None else None,
        seed=seed,
        delay_ms=delay_ms,
        contracts=chosen,
        heartbeat_s=heartbeat_s,
        timeout_s=timeout_s,
        trading_day=parse_trading_day(trading_day) if trading_day else None,
        options=not futures_only,
        instruments_file=instruments,
        app_id=app_id,
        auth_code=auth_code if auth_code is not None else environ.get(AUTH_CODE_ENV) or None,
        max_subscribe_per_s=max_subscribe_per_s or None,
    )


def serve(settings: FrontSettings, log_level: str = "INFO") -> int:
    """Serve in the foreground until a signal; the exit code."""
    logs.configure(f"ctp-front:{settings.port}" if settings.port else "ctp-front", log_level)
    return app.run(settings)


def _summary(address: str, kind: str, reply: dict[str, Any]) -> str:
    if kind == "drop":
        done = f"closed {reply.get('dropped', 0)} connection(s)"
    elif kind == "clear":
        done = f"cleared {', '.join(reply.get('cleared', [])) or 'nothing (none was active)'}"
    else:
        done = "set" if reply.get("changed") else "already set"
    active = ", ".join(reply.get("faults", [])) or "none"
    return f"ctp-front {address}: fault {kind}: {done}; active faults: {active}"


def fault(kind: str, control: str | None, timeout_s: float = 5.0) -> str:
    """Send ``fault KIND`` (or ``status``) to a front's control port; what to print."""
    address = control or DEFAULT_CONTROL
    host, port = parse_address(address)
    reply = request(host, port, "status" if kind == "status" else f"fault {kind}", timeout_s)
    if not reply.get("ok"):
        raise ControlError(f"ctp-front {host}:{port}: {reply.get('error', 'refused')}")
    if kind == "status":
        reply.pop("ok", None)
        return json.dumps(reply, ensure_ascii=False, indent=2)
    return _summary(f"{host}:{port}", kind, reply)


def _ask(control: str | None, command: str, timeout_s: float) -> dict[str, Any]:
    host, port = parse_address(control or DEFAULT_CONTROL)
    reply = request(host, port, command, timeout_s)
    if not reply.get("ok"):
        raise ControlError(f"ctp-front {host}:{port}: {reply.get('error', 'refused')}")
    return reply


def trading_day(day: str | None, control: str | None, timeout_s: float = 5.0) -> str:
    """Ask a front's trading day, or set it (``2026-03-10``, or ``auto``: the clock's);
    what to print."""
    if day is not None and day.strip().lower() != "auto":
        parse_trading_day(day)  # ValueError here, before any front is asked
    reply = _ask(control, f"trading-day {day}" if day else "trading-day", timeout_s)
    how = "fixed" if reply.get("fixed") else "the clock's"
    return (
        f"ctp-front {control or DEFAULT_CONTROL}: trading day {reply.get('trading_day')} "
        f"({how}), {reply.get('instruments')} instruments listed"
    )


def pace(limit: str | None, control: str | None, timeout_s: float = 5.0) -> str:
    """Ask a front's subscription pace limit, or set it (a number, or ``off``); what
    to print."""
    if limit is not None and not (limit.isdigit() or limit.lower() == "off"):
        raise ValueError(f"pace {limit!r} is neither a number nor off")
    reply = _ask(control, f"pace {limit}" if limit else "pace", timeout_s)
    value = reply.get("max_subscribe_per_s")
    said = f"at most {value} subscriptions per second" if value else "no subscription limit"
    return f"ctp-front {control or DEFAULT_CONTROL}: {said}"
