"""Every message tickhub puts on NATS, as msgspec Structs.

Messages travel as JSON (:mod:`tickhub_contracts.codec`) so that ``nats sub`` shows
something a person can read. Change a message here and let the type checker show
every place that must follow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
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
    """False for a snapshot the front replays at login or subscription (older than
    that moment): the state of the market then, not news."""
    in_session: bool = True
    """False for a tick stamped outside every trading session of its product (a
    settlement re-send at 15:20, a replay after the close): never sent as live."""
    seq: int | None = None
    """Per-contract sequence number, stamped by the publisher on what it forwards."""
    epoch: int = 0
    """The publisher run that stamped ``seq``: its start, ms since the Unix epoch.
    ``seq`` counts within one epoch; another epoch is a restarted publisher, never a
    continuation (docs/clients.md)."""

    @property
    def vt_symbol(self) -> str:
        return f"{self.symbol}.{self.exchange}"


# --- gateway and worker state ----------------------------------------------------

GatewayType = Literal["ctp", "sim"]

ConnectionState = Literal["connecting", "connected", "disconnected", "login_failed"]


class TickBatch(msgspec.Struct, kw_only=True, gc=False):
    """One source's ticks of one exchange, in the order its gateway delivered them
    (:func:`~tickhub_contracts.subjects.ticks`). A worker sends what one wake-up of its
    loop found queued, at most :data:`TICK_BATCH_MAX` ticks: in a CTP burst that is
    hundreds, in a quiet market one."""

    ticks: list[Tick]


TICK_BATCH_MAX = 200
"""Ticks per batch at most: ~170 kB of JSON, far inside NATS's 1 MB message limit,
and small enough that the first tick of a batch does not wait long for the last."""


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
    subscribed_count: int = 0
    """How many contracts the worker holds subscribed, canary included."""
    subscribed_digest: str = ""
    """:func:`contracts_digest` of them: the manager compares it with what the worker
    should hold without a list of thousands of contracts in every heartbeat."""


def contracts_digest(vt_symbols: Iterable[str]) -> str:
    """A short fingerprint of a set of contracts (order and repeats do not matter)."""
    digest = hashlib.blake2b(digest_size=8)
    for vt_symbol in sorted(set(vt_symbols)):
        digest.update(vt_symbol.encode())
        digest.update(b"\n")
    return digest.hexdigest()


TradingHours = Literal["exchange", "always"]

CtpMdLibrary = Literal["ctp", "local"]
"""Which market-data library a ``ctp`` worker loads: ``ctp``, the broker's own (CTP's
``libthostmduserapi_se.so`` as vnpy_ctp ships it), or ``local``, tickhub's stand-in of
the same ABI, which talks only to ``tickhub ctp-front`` (rehearsal and tests)."""

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
    subscribed_count: int = 0
    """How many contracts the worker holds subscribed now, canary included."""
    ticks_per_s: float = 0.0
    """Ticks per second the worker relays, over its last few heartbeats (0 when not running)."""
    canary_received_at: dt.datetime | None = None
    """Local time the canary's newest live tick was received (its age shows a silent feed)."""
    contracts: list[str] = []
    """The contracts the source is configured for (``subscribed_count`` is how many the
    worker holds now: in cold failover mode only the canary plus what it is assigned)."""
    trading_hours: TradingHours = "exchange"
    """Whether the health service judges its canary by the exchange's trading sessions
    (``exchange``, CTP) or expects ticks around the clock (``always``, sim by default)."""
    pid_started_at: dt.datetime | None = None
    """When the current worker process was spawned (a new value = a new process)."""
    restarting: bool = False
    """The manager is carrying out a hard restart: the ``stopping``/``stopped`` it shows
    meanwhile is the old process going, not a stop anyone asked to keep."""

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
    ``assign`` sets the contracts a source holds in cold failover mode.
    """

    action: Literal["start", "stop", "restart", "status", "fault", "assign"]
    fault: FaultKind | None = None
    by: str = "operator"
    """Who asks: 'operator', 'failover', ... (a system restart never overrides a manual stop)."""
    vt_symbols: list[str] = []
    """``assign`` (cold failover mode, sent by the failover service): the complete set
    of contracts this source must hold subscribed besides its canary. Declarative, so
    a repeat is harmless and a lost one is mended by the next; the manager keeps it and
    applies it again to every new worker process of the source."""


class WorkerCommand(msgspec.Struct, kw_only=True):
    """From the manager into one worker (``tickhub.worker.<source>.control``)."""

    action: Literal["subscribe", "unsubscribe", "hold", "fault", "query_instruments"]
    """``hold``: ``vt_symbols`` is the complete set to hold (the worker subscribes and
    unsubscribes the difference): how the manager mends a worker that holds something
    else."""
    vt_symbols: list[str] = []
    fault: FaultKind | None = None
    query: str = ""
    """``query_instruments``: the id the worker's :class:`InstrumentBatch` replies carry."""


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
    trading_hours: TradingHours = "always"
    """``always``: ticks around the clock; ``exchange``: only inside the contracts'
    trading sessions, like CTP (rehearsing session breaks)."""
    crash_after_s: float | None = None
    """Exit with an error this long after the worker starts: a crash-looping source."""
    list_options: bool = False
    """Its instrument list (the catalog) holds the simulated market's options too, tens
    of thousands of them; by default futures only, a few hundred."""


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
    md_library: CtpMdLibrary = "ctp"
    """``local`` only for an account on ``tickhub ctp-front``: never the default, so a
    broker's account can only ever load the broker's library."""
    trading_hours: TradingHours = "exchange"
    """A broker's front follows the exchanges' sessions; a local front may tick around
    the clock (``always``), which only a ``local`` account may say."""
    subscribe_per_s: int = 1000
    """Subscriptions sent to the md front per second at most: a front disconnects a
    client that floods it (vnpy_ctp users see 4097 when subscribing thousands at once)."""


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

    Written by the failover service whenever the routing changes; the publisher
    watches it. A contract served by no source has no key.
    """

    vt_symbol: str
    source: str
    """The active source: the highest-priority routable one."""
    at: dt.datetime
    by: str = "failover"
    eligible: list[str] = []
    """Sources whose ticks may be forwarded for the contract, best first. Hot mode: every
    routable source carrying it (the publisher forwards the first copy of each tick
    from any of them). Cold mode: ``[source]``. Empty is read as ``[source]``."""
    mode: FailoverMode = "hot"
    degraded: bool = False
    """No routable source was left: the active one is DEGRADED, the best there is."""

    def eligible_sources(self) -> tuple[str, ...]:
        """``eligible`` without repeats, best first; ``(source,)`` when it is empty."""
        return tuple(dict.fromkeys(self.eligible or [self.source]))


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


# --- health (health service -> everyone) ------------------------------------------

HealthState = Literal[
    "STARTING", "HEALTHY", "DEGRADED", "UNHEALTHY", "RECOVERING", "STOPPED", "MARKET_CLOSED"
]
"""STARTING: a new worker not yet proven. HEALTHY: connected, beating, canary fresh,
not lagging. DEGRADED: works but lags its peers (or its canary ages). UNHEALTHY:
failed (cause says how). RECOVERING: a new process after a failure, not yet proven.
STOPPED: not running by intent (operator, disabled, removed). MARKET_CLOSED:
connected and beating, canary silent because its session is closed."""

HealthCause = Literal[
    "ok",
    "starting",
    "process_exited",
    "process_hung",
    "heartbeat_lost",
    "disconnected",
    "login_rejected",
    "canary_stale",
    "lagging",
    "stopped",
    "market_closed",
    "recovering",
    "unknown",
]
"""Why a source is in its state, as a machine reads it; the failover service
classifies by it (``login_rejected``: never retried, the operator must act)."""

ROUTABLE_STATES: frozenset[str] = frozenset({"HEALTHY", "MARKET_CLOSED"})
"""States whose ticks may be forwarded (MARKET_CLOSED: connected, only quiet, so the
routing does not flip at every session end). DEGRADED is used only when no source
of a contract is routable."""


class SourceHealth(msgspec.Struct, kw_only=True):
    """The health service's verdict on one source (subject ``tickhub.health.<source>``,
    bucket ``tickhub_health`` key = source). Published on every change and every few
    seconds; the bucket holds the newest."""

    source: str
    state: HealthState
    cause: HealthCause
    reason: str
    """In words, for the operator: "heartbeat lost for 2.1 s", "canary rb2601.SHFE silent
    for 3.4 s in session", ..."""
    at: dt.datetime
    """When this verdict was made."""
    since: dt.datetime
    """When the source entered ``state``."""
    previous: HealthState | None = None
    gateway_type: GatewayType = "sim"
    priority: int = 1
    contracts: list[str] = []
    """Configured contracts (from the manager's status)."""
    pid: int | None = None
    restarts: int = 0
    connected: bool = False
    heartbeat_age_s: float | None = None
    canary: str = ""
    canary_age_s: float | None = None
    """Seconds since the canary's newest live tick arrived."""
    canary_latency_ms: float | None = None
    """Arrival minus exchange time of the newest canary tick (clock skew included)."""
    lag_ms: float | None = None
    """How far this source's copies of the canary's ticks arrive behind the first copy
    from any peer (a rolling median); None without peers or samples."""
    in_session: bool = True
    """Whether the canary's market is open now (always True for ``always`` sources)."""
    needs_operator: bool = False
    """A failure the system will not retry by itself (a rejected login)."""
    detected_ms: float | None = None
    """For a change to UNHEALTHY: how long after the failure's first sign (last
    heartbeat, last canary tick, exit) the verdict came."""
    calendar_warning: str = ""
    """Set when the exchanges' holiday calendar the verdict was judged with does not
    cover today (or tonight's session's trading day), or ends within 30 days: what the
    operator must do, in words (docs/holidays.md). Empty when the calendar is fine."""


# --- failover (failover service -> everyone) --------------------------------------

FailoverMode = Literal["hot", "cold"]

FailoverKind = Literal["failover", "failback", "lost", "restored"]
"""failover: contracts moved off a failed source. failback: back to a recovered,
preferred source after its hold time. lost: no source left for the contracts.
restored: a source again for contracts that had none."""


class FailoverEvent(msgspec.Struct, kw_only=True):
    """One routing change with its cause (``tickhub.failover.event``)."""

    at: dt.datetime
    kind: FailoverKind
    mode: FailoverMode
    from_source: str | None
    to_source: str | None
    contracts: list[str]
    reason: str
    cause: HealthCause | None = None
    detected_ms: float | None = None
    """How long the health service took to judge the failure (from its SourceHealth)."""
    switched_ms: float | None = None
    """From the failure's verdict to the routing being written."""


RestartAction = Literal["ordered", "refused", "succeeded", "backing_off", "needs_operator"]


class RestartEvent(msgspec.Struct, kw_only=True):
    """What the failover service did about a failed source (``tickhub.restart.<source>``).

    ordered: a hard restart was asked of the GatewayManager. refused: the manager said
    no (manual stop, disabled). succeeded: the new process became HEALTHY.
    backing_off: the next attempt waits ``next_in_s``. needs_operator: not retried
    (a rejected login; brokers lock accounts after a few)."""

    at: dt.datetime
    source: str
    action: RestartAction
    attempt: int
    reason: str
    next_in_s: float | None = None


# --- publisher -> api, dashboard ------------------------------------------------


class TickDrops(msgspec.Struct, kw_only=True):
    """One source's ticks the publisher did not send to clients, by reason (totals
    since the publisher started). docs/market-data.md states each rule."""

    duplicate: int = 0
    """The same exchange tick as one already sent (another source's copy, a resend)."""
    stale: int = 0
    """Older than what was sent: an earlier time, or less cumulative volume within the
    trading day."""
    future: int = 0
    """Dated ahead of the publisher's clock by more than ``TICKHUB_FUTURE_TICK_S``."""
    out_of_session: int = 0
    """Stamped outside every trading session of the product (``in_session`` false)."""
    replay: int = 0
    """A snapshot replayed at login or subscription (``live`` false)."""


class PublisherStats(msgspec.Struct, kw_only=True):
    """The publisher's counts (publisher -> api, dashboard), every few seconds. A
    publisher split by exchange sends one per shard; the api adds them up."""

    at: dt.datetime
    started_at: dt.datetime
    exchanges: list[str] = []
    """The exchanges this publisher forwards, when it is one shard of several
    (``TICKHUB_PUBLISHER_EXCHANGES``); empty: every exchange."""
    forwarded: int = 0
    """Ticks sent on ZeroMQ since the start."""
    sources: dict[str, TickDrops] = {}
    """Source -> what of its ticks was not sent, and why."""


# --- the instrument catalog (worker -> gateway manager) ---------------------------

InstrumentKind = Literal["future", "option", "spread", "other"]
"""CTP's ProductClass, reduced to what the universe tells apart: futures (1), options
on futures or on an index or spot (2, 6), combinations (3); anything else is other."""

OptionType = Literal["call", "put", ""]


class Instrument(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """One listed instrument, as the trading side's instrument query describes it
    (CTP's ``CThostFtdcInstrumentField``) or a catalog file row (docs/universe.md)."""

    vt_symbol: str
    """``symbol.EXCHANGE``, as every subject and topic spells it."""
    symbol: str
    exchange: str
    product: str
    """CTP's ProductID: ``rb``; an option's own product (``au_o``, ``MO``, ``SR``)."""
    kind: InstrumentKind = "future"
    name: str = ""
    expiry: dt.date | None = None
    """The last trading day (CTP's ExpireDate); None when the source did not say."""
    listed: dt.date | None = None
    """The first trading day (CTP's OpenDate)."""
    tick_size: float = 0.0
    multiplier: float = 0.0
    underlying: str = ""
    """An option's underlying as a vt_symbol (``au2606.SHFE``); "" for the others."""
    option_type: OptionType = ""
    strike: float | None = None


class InstrumentBatch(msgspec.Struct, kw_only=True):
    """Part of one source's answer to ``query_instruments``
    (``tickhub.instruments.<source>``): batches of at most ``INSTRUMENT_BATCH_MAX``,
    the last one with ``last``. A query that failed ends with one batch that has
    ``last`` and ``error``."""

    source: str
    query: str
    trading_day: dt.date | None = None
    """The trading day the source's trading front said it is (CTP's login answer)."""
    instruments: list[Instrument] = []
    last: bool = False
    error: str = ""


INSTRUMENT_BATCH_MAX = 2000
"""Instruments per :class:`InstrumentBatch`: ~300 KB of JSON, well under NATS's 1 MB."""


class CatalogRefresh(msgspec.Struct, kw_only=True):
    """A request for a new catalog (``tickhub.catalog.refresh``, api -> manager)."""

    by: str = "operator"


class CatalogRefreshed(msgspec.Struct, kw_only=True):
    """The manager's answer, and its announcement on ``tickhub.catalog.changed``."""

    ok: bool
    origin: str = ""
    """Where the catalog came from: a source's name, ``file`` or ``stored``."""
    trading_day: dt.date | None = None
    instruments: int = 0
    listed: list[str] = []
    """vt_symbols new in this catalog (capped at 100 in the message; the log says all)."""
    expired: list[str] = []
    """vt_symbols gone since the last catalog (capped at 100 likewise)."""
    at: dt.datetime | None = None
    error: str = ""


class UniverseChanged(msgspec.Struct, kw_only=True):
    """The universe's entries changed (``tickhub.universe.changed``, api -> manager)."""

    at: dt.datetime
    action: Literal["created", "deleted", "updated"] = "updated"
    entry: str = ""


# --- main contracts (publisher -> clients, api) --------------------------------------


class MainContract(msgspec.Struct, kw_only=True):
    """A product's main contract for a trading day (bucket ``tickhub_main_contracts``),
    decided once per trading day from the previous day's closes (docs/universe.md)."""

    alias: str
    """``rb888.SHFE``: the topic clients subscribe."""
    vt_symbol: str
    """The contract behind the alias on ``trading_day``."""
    trading_day: dt.date
    decided_at: dt.datetime
    previous: str = ""
    """The contract the alias named before this decision ("" the first time)."""
    open_interest: float = 0.0
    volume: float = 0.0
    reason: str = ""


class DayClose(msgspec.Struct, kw_only=True, array_like=True):
    """One contract's last volume and open interest of a trading day."""

    volume: float
    open_interest: float


class ProductCloses(msgspec.Struct, kw_only=True):
    """Every carried month of one product at the end of its last seen trading day
    (bucket ``tickhub_day_closes``): what tomorrow's main contract is decided from."""

    exchange: str
    product: str
    trading_day: dt.date
    closes: dict[str, DayClose] = {}
    """vt_symbol -> its close."""
