"""tickhub's one Settings class: every knob, read from ``TICKHUB_*`` environment variables.

Every service reads the same class and uses the fields it needs, so one ``.env`` or one
compose ``environment:`` block configures the whole hub. The README's settings table
lists these fields; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import Literal

import msgspec
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tickhub_contracts import subjects
from tickhub_contracts.messages import SourceConfig
from tickhub_markets import calendar

DEFAULT_SIM_CONTRACTS = ["rb2605.SHFE", "au2602.SHFE", "m2605.DCE", "SR605.CZCE", "IF2512.CFFEX"]
DEFAULT_CANARY = "rb2605.SHFE"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKHUB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".tickhub"), description="Working files: worker dirs, NATS store.")
    nats_url: str | None = Field(
        None, description="NATS to use. Unset: `tickhub up` starts its bundled server."
    )
    nats_port: int = Field(4222, ge=0, le=65535, description="Port of the bundled nats-server.")
    zmq_pub: str = Field("tcp://127.0.0.1:5555", description="ZeroMQ PUB endpoint for ticks.")
    zmq_sndhwm: int = Field(
        100_000,
        ge=1,
        description="Messages queued per slow ZeroMQ subscriber before ZeroMQ drops for it.",
    )
    zmq_recovery: str = Field(
        "tcp://127.0.0.1:5556",
        description="ZeroMQ ROUTER endpoint of the recovery service beside the PUB socket "
        "(snapshots and gap fills by seq, docs/clients.md). Empty: none.",
    )
    recovery_ring: int = Field(
        256,
        ge=0,
        le=100_000,
        description="Ticks kept per contract for gap fills (the newest); a client asking "
        "for older ones is told to take a snapshot.",
    )
    recovery_ring_total: int = Field(
        200_000,
        ge=0,
        description="Ticks kept for gap fills in all (~0.8 KB each): past it the oldest of "
        "any contract go first, so a whole market cannot grow the publisher unbounded.",
    )
    recovery_max_ticks: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Ticks in one recovery reply at most (the client asks again for more): "
        "no reply holds the tick path for long.",
    )
    recovery_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="The share of the publisher's time the recovery endpoint may take at "
        "most; past it requests wait in ZeroMQ's bounded queue, so a flood of requests "
        "slows the answers, not the ticks.",
    )
    publisher_pending_msgs: int = Field(
        100_000,
        ge=1,
        description="Tick batches the publisher's NATS client may hold unprocessed before it "
        "drops (counted as slow_consumer).",
    )
    publisher_pending_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1,
        description="Bytes of ticks the publisher's NATS client may hold unprocessed before "
        "it drops (counted as slow_consumer).",
    )
    publisher_exchanges: list[str] = Field(
        default_factory=list,
        description="The exchanges this publisher forwards (JSON list, e.g. "
        '["SHFE", "INE"]): one shard of a publisher split by exchange, each shard on its '
        "own TICKHUB_ZMQ_PUB. Empty: every exchange.",
    )
    api_host: str = Field("127.0.0.1", description="Where the REST API listens.")
    api_port: int = Field(8000, ge=0, le=65535, description="Port of the REST API.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")

    sources: str = Field(
        "",
        description="A static pool: JSON list of source configs, for benchmarks and rehearsal "
        "without a database (the gateway then ignores the accounts). Unset: the gateway runs "
        "the accounts of TICKHUB_DATABASE_URL.",
    )
    sources_file: Path | None = Field(
        None,
        description="The static pool of TICKHUB_SOURCES read from this JSON file instead: "
        "for a pool too large for an environment variable (thousands of contracts).",
    )
    sim_contracts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SIM_CONTRACTS),
        description="Contracts of the demo sim accounts added to a new database (JSON list).",
    )
    canary: str = Field(DEFAULT_CANARY, description="Canary contract of the demo sim accounts.")

    heartbeat_interval_s: float = Field(1.0, gt=0, description="Worker heartbeat period.")
    heartbeat_timeout_s: float = Field(
        1.5, gt=0, description="Silence after which the manager declares a worker hung."
    )
    restart_grace_s: float = Field(
        3.0, gt=0, description="SIGTERM to SIGKILL on stop/restart (CTP can hang on release)."
    )
    stale_tick_s: float = Field(
        30.0, gt=0, description="A tick older than this on arrival is a replay, not live."
    )
    future_tick_s: float = Field(
        2.0,
        gt=0,
        description="The publisher drops (and counts) a tick dated further than this "
        "ahead of its clock: a front's bad clock must not hold back later ticks.",
    )
    publisher_stats_s: float = Field(
        2.0, gt=0, description="The publisher publishes its per-source counts this often."
    )
    command_timeout_s: float = Field(5.0, gt=0, description="How long callers wait for a reply.")
    worker_start_timeout_s: float = Field(
        20.0,
        gt=0,
        description="A new worker silent this long after its start is declared hung.",
    )
    status_interval_s: float = Field(
        2.0, gt=0, description="The manager republishes every source's status this often."
    )
    stop_grace_s: float = Field(
        10.0,
        gt=0,
        description="`tickhub up`: SIGTERM to SIGKILL per service on stop (the gateway "
        "needs restart_grace_s to stop its workers first).",
    )

    # --- account pool, api security (issue 3) ---
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL holding the account pool "
        "(postgresql://user:password@host:port/db). "
        "Unset: `tickhub up` starts an embedded PostgreSQL under <data_dir>/postgres.",
    )
    postgres_port: int = Field(
        0, ge=0, le=65535, description="Port of the embedded PostgreSQL (0: a free port at start)."
    )
    database_timeout_s: float = Field(
        5.0, gt=0, description="Connect and query timeout towards PostgreSQL."
    )
    api_token: SecretStr | None = Field(
        None,
        description="Bearer token for /api and /ws (at least 16 characters). Unset: read from "
        "api_token_file, else generated once into <data_dir>/api-token.",
    )
    api_token_file: Path | None = Field(
        None, description="File holding the api token (e.g. a Docker secret)."
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Fernet key(s) encrypting account secrets at rest; comma-separated for "
        "rotation (the first encrypts, all decrypt). Unset: read from secret_key_file, else "
        "generated once into <data_dir>/secret.key.",
    )
    secret_key_file: Path | None = Field(
        None, description="File holding the secret key(s) (e.g. a Docker secret)."
    )
    pool_poll_s: float = Field(
        3.0,
        gt=0,
        description="The gateway re-reads the accounts this often besides on every "
        "announced change, so a missed announcement is caught up.",
    )
    api_max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body the api reads; larger gets 413."
    )

    # --- health, failover, hard restart (issue 4) ---
    health_check_interval_s: float = Field(
        0.2, gt=0, description="How often the health service re-judges every source."
    )
    health_publish_s: float = Field(
        2.0, gt=0, description="The health service republishes every verdict this often."
    )
    canary_timeout_s: float = Field(
        3.0,
        gt=0,
        description="A canary silent this long inside its trading session makes its source "
        "UNHEALTHY (half of it: DEGRADED).",
    )
    lag_degraded_ms: float = Field(
        500.0,
        gt=0,
        description="A source whose canary ticks arrive this far behind a peer's copies "
        "(rolling median) is DEGRADED.",
    )
    startup_grace_s: float = Field(
        20.0,
        gt=0,
        description="A new worker may stay STARTING/RECOVERING this long before it is "
        "judged UNHEALTHY for not becoming healthy.",
    )
    holidays: list[dt.date] = Field(
        default_factory=list,
        description="Exchange closures the built-in calendar (chinese-calendar, "
        "docs/holidays.md) lacks (JSON list of dates): no day session that date and no "
        "night session on the evening before it.",
    )
    holidays_file: Path | None = Field(
        None, description="File of holiday dates, one YYYY-MM-DD per line, added to holidays."
    )
    holidays_known_until: dt.date | None = Field(
        None,
        description="The configured holidays hold every closure up to this date (a year "
        "the built-in calendar does not know yet): no calendar warning until then.",
    )
    market_clock_offset_s: float = Field(
        0.0,
        description="Rehearsal and tests only (0 in production): the health service "
        "judges sessions, holidays and the calendar's coverage as if the clock read this "
        "many seconds later; ages and timeouts keep the real clock.",
    )
    ctp_demo_port: int = Field(
        41205,
        ge=1,
        le=65525,
        description="`tickhub up --demo ctp`: the first local CTP front listens here, the "
        "second one port above; their control ports are ten above each.",
    )
    ctp_locale_dir: Path | None = Field(
        None,
        description="Where the zh_CN.GB18030 locale that ctp workers need is compiled when "
        "the system has none (LOCPATH of those workers). Unset: <data_dir>/locale.",
    )
    # --- the contract universe (issue 13) ---
    catalog_file: Path | None = Field(
        None,
        description="The instrument catalog as a CSV file (docs/universe.md), for a pool of "
        "market-data-only accounts: read when no account with a trading front answers.",
    )
    catalog_refresh_at: list[dt.time] = Field(
        default_factory=lambda: [dt.time(8, 30), dt.time(20, 30)],
        description="China times at which the gateway refreshes the catalog each day, "
        'before the day and the night session (JSON list, e.g. ["08:30", "20:30"]).',
    )
    catalog_query_timeout_s: float = Field(
        120.0,
        gt=0,
        description="How long the gateway waits for one source's instrument list "
        "(a trading front answers 30,000 instruments at its own pace).",
    )
    universe_copies: int = Field(
        2,
        ge=1,
        le=10,
        description="Sources each contract of the universe should have (where the accounts' "
        "capacity allows): 2 gives every contract a hot backup.",
    )

    failover_mode: Literal["hot", "cold"] = Field(
        "hot",
        description="hot: every healthy source stays subscribed and the first copy of each "
        "tick goes out; cold: only the active source is subscribed.",
    )
    failback_hold_s: float = Field(
        10.0,
        ge=0,
        description="A recovered preferred source must stay HEALTHY this long before the "
        "routing fails back to it.",
    )
    restart_cooldown_s: float = Field(
        10.0,
        ge=0,
        description="A source UNHEALTHY this long is hard-restarted (first attempt).",
    )
    restart_backoff_max_s: float = Field(
        300.0,
        gt=0,
        description="Cap of the doubling wait between hard restarts of a source that keeps "
        "failing.",
    )
    restart_reset_s: float = Field(
        60.0,
        gt=0,
        description="HEALTHY this long after a restart forgets the earlier attempts (the "
        "backoff starts over).",
    )

    # --- dashboard (issue 5) ---
    ws_queue_limit: int = Field(
        1000,
        ge=10,
        description="Messages queued for one /ws client; a client that falls further "
        "behind is dropped (close code 4408) and reconnects to a fresh snapshot.",
    )
    ws_recent_logs: int = Field(
        500, ge=0, description="Recent log records the api keeps for a /ws snapshot."
    )
    dashboard_dir: Path | None = Field(
        None,
        description="The dashboard's static export the api serves at /. Unset: the "
        "checkout's frontend/out when it was built (make setup); without one, / says how "
        "to build it.",
    )

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("publisher_exchanges")
    @classmethod
    def _exchanges(cls, value: list[str]) -> list[str]:
        for exchange in value:
            subjects.token(exchange, "exchange")
        return value

    @field_validator("sim_contracts")
    @classmethod
    def _contracts(cls, value: list[str]) -> list[str]:
        for vt_symbol in value:
            subjects.split_vt_symbol(vt_symbol)
        return value

    def configured_holidays(self) -> frozenset[dt.date]:
        """``holidays`` plus the dates in ``holidays_file`` (read on every call: a
        long-running service picks up an edited file at its next read). Raises OSError
        or ValueError when the file cannot be read or holds a line that is no date."""
        days = set(self.holidays)
        if self.holidays_file is not None:
            days |= calendar.read_holidays_file(self.holidays_file)
        return frozenset(days)

    def exchange_calendar(self) -> calendar.ExchangeCalendar:
        """The built-in calendar plus the configured holidays (see
        :meth:`configured_holidays`, which may raise)."""
        return calendar.ExchangeCalendar.build(
            self.configured_holidays(), self.holidays_known_until
        )

    def all_holidays(self) -> frozenset[dt.date]:
        """Every exchange holiday: the built-in calendar's (chinese-calendar, with no
        configuration) and the configured ones (may raise as
        :meth:`configured_holidays`)."""
        return self.exchange_calendar().holidays

    def market_now(self, now: dt.datetime) -> dt.datetime:
        """``now`` as the market is judged (``market_clock_offset_s`` later; the same
        moment in production)."""
        return now + dt.timedelta(seconds=self.market_clock_offset_s)

    @property
    def resolved_nats_url(self) -> str:
        """Where services connect: the named server, else the bundled one."""
        return self.nats_url or f"nats://127.0.0.1:{self.nats_port}"

    @cached_property
    def static_pool(self) -> str:
        """The JSON of ``TICKHUB_SOURCES`` or of ``TICKHUB_SOURCES_FILE`` ("" when
        neither is set), the file read once. Raises ValueError for both, OSError for a
        file not read."""
        if self.sources.strip() and self.sources_file is not None:
            raise ValueError("set TICKHUB_SOURCES or TICKHUB_SOURCES_FILE, not both")
        if self.sources_file is not None:
            return self.sources_file.read_text()
        return self.sources.strip()

    @cached_property
    def source_configs(self) -> list[SourceConfig]:
        """The static pool of ``TICKHUB_SOURCES`` (empty when unset: the pool then
        comes from the account database). Raises ValueError or msgspec's errors when
        the list is invalid."""
        text = self.static_pool
        if not text:
            return []
        configs = msgspec.json.decode(text.encode(), type=list[SourceConfig])
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        for config in configs:
            subjects.token(config.name, "source name")
            for vt_symbol in config.all_symbols():
                subjects.split_vt_symbol(vt_symbol)
        return configs
