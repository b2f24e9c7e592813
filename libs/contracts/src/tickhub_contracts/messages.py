"""Every message tickhub puts on NATS, as msgspec Structs.

Messages travel as JSON (:mod:`tickhub_contracts.codec`) so that ``nats sub`` shows
something a person can read. Change a message here and let the type checker show
every place that must follow.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

# --- ticks ---------------------------------------------------------------------


class Tick(msgspec.Struct, kw_only=True, gc=False):
    """One market-data tick: every field of vnpy's ``TickData`` plus tickhub's own.

    Prices are ``None`` where the exchange sent none (CTP's ``DBL_MAX``), rather than
    vnpy's 0, which a strategy cannot tell from a real price of zero.
    ``datetime`` is the exchange time, timezone-aware (Asia/Shanghai for CTP).
    """

    symbol: str
    exchange: str
    datetime: dt.datetime
    name: str = ""
    volume: float = 0.0
    turnover: float = 0.0
    open_interest: float = 0.0
    last_price: float | None = None
    last_volume: float = 0.0
    limit_up: float | None = None
    limit_down: float | None = None
    open_price: float | None = None
    high_price: float | None = None
    low_price: float | None = None
    pre_close: float | None = None
    bid_price_1: float | None = None
    bid_price_2: float | None = None
    bid_price_3: float | None = None
    bid_price_4: float | None = None
    bid_price_5: float | None = None
    ask_price_1: float | None = None
    ask_price_2: float | None = None
    ask_price_3: float | None = None
    ask_price_4: float | None = None
    ask_price_5: float | None = None
    bid_volume_1: float = 0.0
    bid_volume_2: float = 0.0
    bid_volume_3: float = 0.0
    bid_volume_4: float = 0.0
    bid_volume_5: float = 0.0
    ask_volume_1: float = 0.0
    ask_volume_2: float = 0.0
    ask_volume_3: float = 0.0
    ask_volume_4: float = 0.0
    ask_volume_5: float = 0.0
    localtime: dt.datetime | None = None
    gateway_name: str = ""

    # tickhub's own fields
    source: str = ""
    """The data source (account) the tick came through."""
    received_ns: int = 0
    """Wall clock (ns since the epoch) when the worker took the tick from vnpy."""
    live: bool = True
    """False for a snapshot the front replays at login or outside the session."""
    seq: int | None = None
    """Per-contract sequence number, stamped by the publisher on what it forwards."""

    @property
    def vt_symbol(self) -> str:
        return f"{self.symbol}.{self.exchange}"


# --- gateway and worker state ----------------------------------------------------

GatewayType = Literal["ctp", "sim"]

ConnectionState = Literal["connecting", "connected", "disconnected", "login_failed"]


class Connection(msgspec.Struct, kw_only=True):
    """The vnpy gateway's connection as its worker sees it (worker -> everyone)."""

    source: str
    state: ConnectionState
    at: dt.datetime
    reason_code: int | None = None
    """The front's own code: CTP's disconnect reason (e.g. 4097) or login ErrorID; or
    tickhub's 0x3001 (no front answered) / 0x3002 (no login answer), where CTP is silent."""
    message: str = ""


class Heartbeat(msgspec.Struct, kw_only=True):
    """Sent by a worker every second; a hung worker stops sending it."""

    source: str
    pid: int
    seq: int
    at: dt.datetime
    connected: bool
    ticks_total: int
    last_tick_at: dt.datetime | None = None
    """Exchange time of the newest live tick."""
    canary: str = ""
    """The canary's vt_symbol."""
    canary_tick_at: dt.datetime | None = None
    """Exchange time of the canary's newest live tick."""
    canary_received_at: dt.datetime | None = None
    """Local time the canary's newest live tick was received."""
    subscribed: list[str] = []


ProcessState = Literal["starting", "running", "stopping", "stopped", "exited", "hung"]


class GatewayStatus(msgspec.Struct, kw_only=True):
    """The GatewayManager's view of one source (manager -> everyone).

    Published on every change and at least every few seconds, so a listener that
    joins late learns the state quickly.
    """

    source: str
    gateway_type: GatewayType
    priority: int
    state: ProcessState
    at: dt.datetime
    pid: int | None = None
    restarts: int = 0
    exit_code: int | None = None
    connection: ConnectionState = "disconnected"
    reason_code: int | None = None
    reason: str = ""
    """Why the state is what it is, in words (exit code, missed heartbeats, ...)."""
    manual_stop: bool = False
    """Stopped by an operator: nothing restarts it until it is started again."""
    last_heartbeat_at: dt.datetime | None = None
    canary: str = ""
    canary_tick_at: dt.datetime | None = None
    last_tick_at: dt.datetime | None = None
    ticks_total: int = 0
    subscribed: list[str] = []
    ticks_per_s: float = 0.0
    """Ticks per second the worker relays, over its last few heartbeats (0 when not running)."""
    canary_received_at: dt.datetime | None = None
    """Local time the canary's newest live tick was received (its age shows a silent feed)."""

    @property
    def connected(self) -> bool:
        return self.state == "running" and self.connection == "connected"


class PoolStatus(msgspec.Struct, kw_only=True):
    """Every source the manager knows (reply on ``tickhub.pool``)."""

    gateways: list[GatewayStatus]


# --- logs ---------------------------------------------------------------------

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class LogRecord(msgspec.Struct, kw_only=True):
    at: dt.datetime
    level: LogLevel
    service: str
    message: str
    logger: str = ""
    source: str | None = None
    symbol: str | None = None
    """vt_symbol the line is about, if any."""


# --- commands -------------------------------------------------------------------

FaultKind = Literal["stall", "resume", "disconnect", "hang", "crash"]


class Command(msgspec.Struct, kw_only=True):
    """A request to the GatewayManager about one source (``tickhub.control.<source>``).

    ``restart`` is a hard restart: SIGTERM, SIGKILL after a grace period, then a
    clean new process. ``fault`` injects a failure for rehearsal and tests.
    """

    action: Literal["start", "stop", "restart", "status", "fault"]
    fault: FaultKind | None = None
    by: str = "operator"
    """Who asks: 'operator', 'failover', ... (a system restart never overrides a manual stop)."""


class WorkerCommand(msgspec.Struct, kw_only=True):
    """From the manager into one worker (``tickhub.worker.<source>.control``)."""

    action: Literal["subscribe", "unsubscribe", "fault"]
    vt_symbols: list[str] = []
    fault: FaultKind | None = None


class Reply(msgspec.Struct, kw_only=True):
    ok: bool
    error: str | None = None
    status: GatewayStatus | None = None


# --- source configuration ------------------------------------------------------


class SimSettings(msgspec.Struct, kw_only=True):
    ticks_per_second: float = 2.0
    """Per contract; 2/s is CTP's cadence."""
    delay_ms: float = 0.0
    """Arrival delay added to every tick, so two sims can race each other."""
    fail_login: bool = False
    """Reject the login the way a wrong password does."""
    seed: int = 0
    phase_groups: int = 1
    """Spread each slot's ticks over this many evenly spaced instants (contracts are
    grouped by a stable hash of their vt_symbol). 1: every contract at the slot start,
    the burst CTP's own snapshots arrive in."""
    reconnect_after_s: float = 3.0
    """After a ``disconnect`` fault, reconnect by itself this much later (as CTP does)."""


class CtpSettings(msgspec.Struct, kw_only=True):
    userid: str = ""
    password: str = ""
    broker_id: str = ""
    md_fronts: list[str] = []
    td_front: str = ""
    """Empty for a market-data-only account."""
    app_id: str = ""
    auth_code: str = ""
    product_info: str = ""
    environment: Literal["production", "test"] = "production"
    connect_timeout_s: float = 10.0
    """CTP never calls back while no front answers (a closed port, a dead host): after
    this long without a login the gateway reports ``disconnected`` itself."""


class SourceConfig(msgspec.Struct, kw_only=True):
    """Everything a worker needs to run one source. Holds secrets (ctp password,
    auth code): it travels to the worker on its stdin and nowhere else."""

    name: str
    gateway_type: GatewayType
    priority: int = 1
    """Lower number = preferred."""
    contracts: list[str] = []
    """vt_symbols to subscribe."""
    canary: str = ""
    """vt_symbol whose ticks prove the feed is alive; subscribed in addition to contracts."""
    enabled: bool = True
    sim: SimSettings | None = None
    ctp: CtpSettings | None = None

    def all_symbols(self) -> list[str]:
        return sorted({*self.contracts, *([self.canary] if self.canary else [])})


# --- account pool --------------------------------------------------------------

AccountAction = Literal["created", "updated", "deleted"]


class AccountChanged(msgspec.Struct, kw_only=True):
    """The api changed an account in the database (``tickhub.accounts.changed``).

    Carries identifiers and the names of the changed fields, never a value: the
    gateway reads the account itself (``tickhub_accounts``), so a secret never
    travels here.
    """

    account_id: int
    name: str
    """The account's source name after the change (before it, for ``deleted``)."""
    action: AccountAction
    at: dt.datetime
    fields: list[str] = []
    """Fields the change touched (``updated``), e.g. ``["priority", "ctp.password"]``."""
    previous_name: str | None = None
    """Set when ``updated`` renamed the account: the source to stop under its old name."""


# --- JetStream KV values (tickhub_contracts.buckets) ---------------------------------


class ContractRoute(msgspec.Struct, kw_only=True):
    """Which source's ticks are forwarded now for one contract (bucket
    ``tickhub_routing``, key ``<exchange>.<symbol>``, see :mod:`.buckets`).

    Written by whoever routes (the publisher today, the failover service from issue 4)
    whenever the selection changes; a contract served by no source has no key.
    """

    vt_symbol: str
    source: str
    at: dt.datetime
    by: str = "publisher"
    """Who decided: 'publisher' (priority rule) or 'failover'."""


class ManualStop(msgspec.Struct, kw_only=True):
    """An operator stopped this source: nothing starts it until it is started again
    (bucket ``tickhub_manual_stops``, key = the source name, see :mod:`.buckets`).

    Written by the GatewayManager on ``stop``, deleted on ``start``/``restart``, when
    the account is enabled again or deleted; read at its start, so a manual stop
    survives a restart of the gateway service.
    """

    source: str
    at: dt.datetime
    by: str = "operator"
