"""Operator commands to the GatewayManager over NATS request/reply:
``tickhub status|start|stop|restart|fault``.

Each command is one request with ``settings.command_timeout_s`` to answer. Every
way it can fail (no NATS, no manager, a refusal, an unreadable reply) ends as a
:class:`CommandError` whose message is the one line the operator sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import Literal

import msgspec
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, FaultKind, GatewayStatus, PoolStatus, Reply
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.settings import Settings


class CommandError(Exception):
    """A command that did not succeed; ``str()`` is the line to print."""


async def connect(settings: Settings) -> Client:
    """A one-shot client: fail fast when NATS is not there instead of retrying
    forever the way a service's connection does."""
    url = settings.resolved_nats_url
    nc = Client()

    async def quiet(error: Exception) -> None:
        """nats-py logs each failed attempt with a traceback; we say it in one line."""

    try:
        # nats-py treats max_reconnect_attempts=0 as "no limit": 1 is the least, and
        # wait_for bounds the whole attempt whatever the library does.
        await asyncio.wait_for(
            nc.connect(
                url,
                name="tickhub-cli",
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                connect_timeout=max(1, round(min(settings.command_timeout_s, 2.0))),
                error_cb=quiet,
            ),
            timeout=settings.command_timeout_s,
        )
    except Exception as error:  # OSError, TimeoutError or one of nats-py's own
        with contextlib.suppress(Exception):
            await nc.close()
        reason = str(error) or type(error).__name__
        raise CommandError(f"cannot reach NATS at {url} ({reason})") from None
    return nc


async def _request(settings: Settings, subject: str, payload: bytes, what: str) -> bytes:
    nc = await connect(settings)
    try:
        msg = await nc.request(subject, payload, timeout=settings.command_timeout_s)
    except NoRespondersError:
        raise CommandError(
            f"no gateway manager answers on {subject} ({what}; is `tickhub up` "
            "or `tickhub gateway` running on this NATS?)"
        ) from None
    except NatsTimeoutError:
        raise CommandError(
            f"the gateway manager did not answer on {subject} within "
            f"{settings.command_timeout_s:g} s (TICKHUB_COMMAND_TIMEOUT_S)"
        ) from None
    finally:
        await nc.close()
    return bytes(msg.data)


async def pool(settings: Settings) -> list[GatewayStatus]:
    """Every source the manager knows, sorted by priority then name."""
    data = await _request(settings, subjects.POOL, b"", "pool status")
    try:
        reply = codec.decode(data, PoolStatus)
    except codec.DecodeError as error:
        raise CommandError(f"unreadable pool status from the gateway manager: {error}") from None
    return sorted(reply.gateways, key=lambda s: (s.priority, s.source))


async def command(settings: Settings, source: str, cmd: Command) -> Reply:
    """Send ``cmd`` about ``source``; raises CommandError unless the manager says ok."""
    subject = subjects.control(subjects.token(source, "source"))
    data = await _request(settings, subject, codec.encode(cmd), f"source {source!r}")
    try:
        reply = codec.decode(data, Reply)
    except codec.DecodeError as error:
        raise CommandError(f"unreadable reply from the gateway manager: {error}") from None
    if not reply.ok:
        raise CommandError(f"{source}: {cmd.action} refused: {reply.error or 'no reason given'}")
    return reply


Action = Literal["start", "stop", "restart", "status", "fault"]
ACTIONS: tuple[Action, ...] = ("start", "stop", "restart", "status", "fault")


def make_command(action: str, fault: FaultKind | None = None) -> Command:
    if action not in ACTIONS:  # narrows str to Action
        raise ValueError(f"unknown action {action!r}")
    if (action == "fault") != (fault is not None):
        raise ValueError("a fault kind goes with the fault action, and only with it")
    return Command(action=action, fault=fault, by="operator")


# --- presentation -------------------------------------------------------------------

_COLUMNS = (
    "SOURCE",
    "TYPE",
    "PRIO",
    "STATE",
    "CONNECTION",
    "PID",
    "RESTARTS",
    "TICKS",
    "LAST TICK",
    "HEARTBEAT",
    "REASON",
)


def _age(at: dt.datetime | None, now: dt.datetime) -> str:
    if at is None:
        return "-"
    seconds = (now - at).total_seconds()
    if seconds < 0:
        seconds = 0.0
    if seconds < 120:
        return f"{seconds:.1f}s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.0f}h ago"


def _exchange_time(at: dt.datetime | None) -> str:
    if at is None:
        return "-"
    local = at.astimezone(CHINA_TZ) if at.tzinfo else at
    return local.strftime("%H:%M:%S.%f")[:-3]


def row(status: GatewayStatus, now: dt.datetime) -> list[str]:
    state: str = status.state + (" (manual)" if status.manual_stop else "")
    connection: str = status.connection
    if status.reason_code is not None:
        connection += f" [{status.reason_code}]"
    return [
        status.source,
        status.gateway_type,
        str(status.priority),
        state,
        connection,
        str(status.pid) if status.pid is not None else "-",
        str(status.restarts),
        str(status.ticks_total),
        _exchange_time(status.last_tick_at),
        _age(status.last_heartbeat_at, now),
        status.reason or "-",
    ]


def table(statuses: Sequence[GatewayStatus], now: dt.datetime | None = None) -> str:
    """The statuses as an aligned text table (times of ticks in exchange time)."""
    now = now or dt.datetime.now(dt.UTC)
    rows = [list(_COLUMNS), *(row(s, now) for s in statuses)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(lines)


def to_json(statuses: Sequence[GatewayStatus]) -> str:
    return msgspec.json.encode(list(statuses)).decode()


def summary(source: str, action: str, reply: Reply) -> str:
    """One line confirming a command, with the state the manager reports after it."""
    text = f"{source}: {action} ok"
    status = reply.status
    if status is not None:
        detail: str = status.state
        if status.pid is not None:
            detail += f", pid {status.pid}"
        detail += f", {status.connection}"
        text += f" ({detail})"
    return text
