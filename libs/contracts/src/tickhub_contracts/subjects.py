"""Every NATS subject tickhub uses, in one place.

Shape: ``tickhub.<kind>.<source>[.<exchange>]``, so that ``nats sub`` filters per
source (``tickhub.status.sim-a``, ``tickhub.ticks.sim-a.>``) and per exchange
(``tickhub.ticks.*.SHFE``). Ticks travel in batches per source and exchange, so a
contract is not a subject token: ``tickhub tail`` (the ZeroMQ side) follows one.

docs/subjects.md is the reader's guide to this module; keep the two in step.
"""

from __future__ import annotations

import re
from typing import NamedTuple

PREFIX = "tickhub"

# A NATS token may not contain '.', '*', '>' or white space. Sources, services,
# exchanges and symbols are all restricted to this so that they can never split or
# widen a subject.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Matched whole (fullmatch): ``$`` would let a trailing newline through, and a newline
in a subject is a protocol injection."""


class InvalidToken(ValueError):
    """A name that cannot be used as a NATS subject token."""


def token(value: str, what: str = "token") -> str:
    """Return ``value`` if it is a safe subject token, else raise :class:`InvalidToken`."""
    if not _TOKEN.fullmatch(value):
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


def ticks(source: str, exchange: str) -> str:
    """One source's ticks of one exchange, as many as one wake-up of its worker had
    (JSON :class:`~tickhub_contracts.messages.TickBatch`). Batches, not one message per
    tick: a message costs nats-server and every client far more than a tick's bytes,
    and CTP delivers its ticks in 500 ms bursts anyway."""
    return f"{PREFIX}.ticks.{source}.{exchange}"


TICKS_ALL = f"{PREFIX}.ticks.>"


def ticks_of_exchange(exchange: str) -> str:
    """Every source's ticks of one exchange: what a publisher shard subscribes."""
    return f"{PREFIX}.ticks.*.{exchange}"


class TicksSubject(NamedTuple):
    """The tokens of a ticks subject, ``tickhub.ticks.<source>.<exchange>``."""

    source: str
    exchange: str


def parse_ticks(subject: str) -> TicksSubject | None:
    """``tickhub.ticks.<source>.<exchange>`` -> its tokens, None when it is not one."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] != "ticks":
        return None
    return TicksSubject(parts[2], parts[3])


def canary(source: str) -> str:
    """A copy of each live tick of the source's canary contract (JSON :class:`Tick`),
    one message per tick: what the health service times a source by, without taking
    every batch of its exchange."""
    return f"{PREFIX}.canary.{source}"


CANARY_ALL = f"{PREFIX}.canary.*"


def canary_source(subject: str) -> str:
    """The source token of a canary subject (its last)."""
    return subject.rpartition(".")[2]


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


# --- the contract universe and the instrument catalog ---------------------------------


def instruments(source: str) -> str:
    """A source's answer to ``query_instruments`` (:class:`InstrumentBatch`)."""
    return f"{PREFIX}.instruments.{token(source, 'source name')}"


INSTRUMENTS_ALL = f"{PREFIX}.instruments.*"

# Request/reply, api -> gateway manager: make a new catalog now (:class:`CatalogRefresh`,
# answered with :class:`CatalogRefreshed`).
CATALOG_REFRESH = f"{PREFIX}.catalog.refresh"

# The manager stored a new catalog (:class:`CatalogRefreshed`): the api's views follow.
CATALOG_CHANGED = f"{PREFIX}.catalog.changed"

# The universe's entries changed (:class:`UniverseChanged`): the manager re-reads them.
UNIVERSE_CHANGED = f"{PREFIX}.universe.changed"

# The manager spread the universe over the pool anew (:class:`UniverseChanged` with
# action "updated"): the api re-reads the allocation.
ALLOCATION_CHANGED = f"{PREFIX}.universe.allocated"

# A product's main contract changed (:class:`MainContract`), from the publisher.
MAIN_CONTRACT_CHANGED = f"{PREFIX}.universe.main"


# --- logs from every service -------------------------------------------------------

# Service-wide records (not about one source) use this in place of a source token.
NO_SOURCE = "_"


def log(service: str, source: str = NO_SOURCE) -> str:
    """One log record (:class:`LogRecord`)."""
    return f"{PREFIX}.log.{service}.{source}"


LOG_ALL = f"{PREFIX}.log.>"
