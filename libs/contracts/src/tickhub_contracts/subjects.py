"""Every NATS subject tickhub uses, in one place.

Shape: ``tickhub.<kind>.<source>[.<exchange>.<symbol>]``. The source and the contract
are separate tokens because a vt_symbol (``rb2601.SHFE``) contains a dot, and a dot
splits NATS tokens; keeping exchange and symbol apart lets ``nats sub`` filter per
source (``tickhub.tick.sim-a.>``), per exchange (``tickhub.tick.*.SHFE.>``) and per
contract (``tickhub.tick.*.SHFE.rb2601``).

docs/subjects.md is the reader's guide to this module; keep the two in step.
"""

from __future__ import annotations

import re
from typing import NamedTuple

PREFIX = "tickhub"

# A NATS token may not contain '.', '*', '>' or white space. Sources, services,
# exchanges and symbols are all restricted to this so that they can never split or
# widen a subject.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidToken(ValueError):
    """A name that cannot be used as a NATS subject token."""


def token(value: str, what: str = "token") -> str:
    """Return ``value`` if it is a safe subject token, else raise :class:`InvalidToken`."""
    if not _TOKEN.match(value):
        raise InvalidToken(
            f"{what} {value!r} must be 1-64 characters of letters, digits, '-' or '_'"
        )
    return value


def split_vt_symbol(vt_symbol: str) -> tuple[str, str]:
    """``'rb2601.SHFE'`` -> ``('rb2601', 'SHFE')``; raises InvalidToken when malformed."""
    symbol, sep, exchange = vt_symbol.rpartition(".")
    if not sep:
        raise InvalidToken(f"vt_symbol {vt_symbol!r} must look like SYMBOL.EXCHANGE")
    return token(symbol, "symbol"), token(exchange, "exchange")


# --- ticks: worker -> publisher, health --------------------------------------------


def tick(source: str, exchange: str, symbol: str) -> str:
    """One tick (JSON :class:`~tickhub_contracts.messages.Tick`)."""
    return f"{PREFIX}.tick.{source}.{exchange}.{symbol}"


TICK_ALL = f"{PREFIX}.tick.>"


def tick_source(subject: str) -> str:
    """The source token of a tick subject (cheap: no full parse on the hot path)."""
    return subject.split(".", 3)[2]


class TickSubject(NamedTuple):
    """The tokens of a tick subject, ``tickhub.tick.<source>.<exchange>.<symbol>``."""

    source: str
    exchange: str
    symbol: str

    @property
    def vt_symbol(self) -> str:
        return f"{self.symbol}.{self.exchange}"


def parse_tick(subject: str) -> TickSubject | None:
    """``tickhub.tick.<source>.<exchange>.<symbol>`` -> its tokens, None when it is not one."""
    parts = subject.split(".")
    if len(parts) != 5 or parts[0] != PREFIX or parts[1] != "tick":
        return None
    _, _, source, exchange, symbol = parts
    return TickSubject(source, exchange, symbol)


# --- worker -> manager, health ----------------------------------------------------


def heartbeat(source: str) -> str:
    """Worker heartbeat, every second (:class:`Heartbeat`)."""
    return f"{PREFIX}.heartbeat.{source}"


HEARTBEAT_ALL = f"{PREFIX}.heartbeat.*"


def connection(source: str) -> str:
    """The vnpy gateway's connection/login state as the worker sees it (:class:`Connection`)."""
    return f"{PREFIX}.connection.{source}"


CONNECTION_ALL = f"{PREFIX}.connection.*"


def worker_control(source: str) -> str:
    """Request/reply into one worker (:class:`WorkerCommand` -> :class:`Reply`).

    Only the GatewayManager sends here; operators go through :func:`control`.
    """
    return f"{PREFIX}.worker.{source}.control"


# --- manager -> everyone ----------------------------------------------------------


def status(source: str) -> str:
    """The GatewayManager's view of one source (:class:`GatewayStatus`)."""
    return f"{PREFIX}.status.{source}"


STATUS_ALL = f"{PREFIX}.status.*"


# --- operators / api / failover -> manager ---------------------------------------


def control(source: str) -> str:
    """Request/reply about one source: :class:`Command` -> :class:`Reply`."""
    return f"{PREFIX}.control.{source}"


CONTROL_ALL = f"{PREFIX}.control.*"

# Request/reply: the manager answers with every source's status (:class:`PoolStatus`).
POOL = f"{PREFIX}.pool"


# --- health service -> failover, api, dashboard -------------------------------------


def health(source: str) -> str:
    """The health service's verdict on one source (:class:`SourceHealth`), on every
    change and every few seconds."""
    return f"{PREFIX}.health.{source}"


HEALTH_ALL = f"{PREFIX}.health.*"


# --- failover service -> api, dashboard --------------------------------------------

# One routing change with its cause (:class:`FailoverEvent`).
FAILOVER_EVENT = f"{PREFIX}.failover.event"


def restart(source: str) -> str:
    """What the failover service did about a failed source (:class:`RestartEvent`)."""
    return f"{PREFIX}.restart.{source}"


RESTART_ALL = f"{PREFIX}.restart.*"


# --- publisher -> api, dashboard --------------------------------------------------

# What the publisher sent and did not send, per source and reason
# (:class:`PublisherStats`), every few seconds.
PUBLISHER_STATS = f"{PREFIX}.publisher.stats"


# --- api -> gateway, dashboard --------------------------------------------------

# An account was created, updated or deleted (:class:`AccountChanged`: ids and field
# names only). The GatewayManager reloads that account from the database.
ACCOUNTS_CHANGED = f"{PREFIX}.accounts.changed"


# --- logs from every service -------------------------------------------------------

# Service-wide records (not about one source) use this in place of a source token.
NO_SOURCE = "_"


def log(service: str, source: str = NO_SOURCE) -> str:
    """One log record (:class:`LogRecord`)."""
    return f"{PREFIX}.log.{service}.{source}"


LOG_ALL = f"{PREFIX}.log.>"
