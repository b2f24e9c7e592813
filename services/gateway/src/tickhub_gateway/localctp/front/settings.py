"""What one local front serves and to whom: filled from ``tickhub ctp-front``'s
arguments (or by a test), checked once so that a bad value is one line at start.

The account defaults are rehearsal values (broker ``9999``, user and password
``rehearsal``), documented so that a rehearsal needs no secrets; a front others can
reach should get its own password (``TICKHUB_CTP_FRONT_PASSWORD``, so it need not
appear on a command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tickhub_contracts.timezone import CHINA_TZ
from tickhub_runtime.settings import DEFAULT_CANARY, DEFAULT_SIM_CONTRACTS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 41205
CONTROL_PORT_OFFSET = 10
"""The control port is the front's port plus this unless given (``tickhub up --demo
ctp`` lays its two fronts out the same way: 41205/41215 and 41206/41216)."""
DEFAULT_BROKER = "9999"
DEFAULT_USER = "rehearsal"
DEFAULT_PASSWORD = "rehearsal"
PASSWORD_ENV = "TICKHUB_CTP_FRONT_PASSWORD"
AUTH_CODE_ENV = "TICKHUB_CTP_FRONT_AUTH_CODE"
MAX_SIM_INSTRUMENTS = 500
"""The sim feed ticks at most this many distinct instruments (the configured
contracts first, then listed ones in the order they are first subscribed): each one
costs a day of prices in memory (~0.1 MB) and two records a second per subscriber.
Subscriptions beyond it are answered, as CTP answers any, and get no data."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CTP_EXCHANGES = ("SHFE", "INE", "DCE", "CZCE", "CFFEX", "GFEX")

DEFAULT_CONTRACTS: tuple[str, ...] = tuple(dict.fromkeys([*DEFAULT_SIM_CONTRACTS, DEFAULT_CANARY]))


def default_contracts(sim_contracts: list[str], canary: str) -> tuple[str, ...]:
    """The hub's sim contracts plus its canary, without repeats (what the demo
    accounts subscribe, so a demo on a local front gets data for all of them)."""
    return tuple(dict.fromkeys([*sim_contracts, canary]))


def parse_contracts(text: str) -> tuple[str, ...]:
    """``"rb2605.SHFE, m2605.DCE"`` -> ``("rb2605.SHFE", "m2605.DCE")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_start_at(text: str) -> int:
    """``--start-at``: seconds since the epoch (``1773104400``, ``1773104400.5``) or an
    ISO datetime (``2026-03-10T09:00:00+08:00``; without an offset, China time), as
    ns since the epoch. ValueError if it is neither."""
    text = text.strip()
    try:
        seconds = Decimal(text)
    except InvalidOperation:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"start {text!r} is neither seconds since the epoch nor an ISO datetime"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA_TZ)
        ns = (moment - _EPOCH) // timedelta(microseconds=1) * 1000
    else:
        if not seconds.is_finite():
            raise ValueError(f"start {text!r} is not a moment")
        ns = int(seconds * 1_000_000_000)
    if ns < 0:
        raise ValueError(f"start {text!r} is before 1970")
    return ns


def parse_trading_day(text: str) -> date:
    """``2026-03-10`` or ``20260310``; ValueError otherwise."""
    text = text.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"trading day {text!r} is not YYYY-MM-DD") from None


def control_port_for(port: int) -> int:
    """The default control port of a front on ``port`` (0, a free port, stays 0)."""
    return port + CONTROL_PORT_OFFSET if port else 0


@dataclass(frozen=True)
class FrontSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    """0: a free port (tests)."""
    control_port: int | None = None
    """On loopback only. None: ``port + 10``; 0: a free port."""
    broker_id: str = DEFAULT_BROKER
    user_id: str = DEFAULT_USER
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    heartbeat_s: int = 1
    timeout_s: int = 5
    """A client silent this long is dropped; the library gives the front up after the
    same silence (HELLO tells it)."""
    replay: Path | None = None
    """A recorded tick file (:mod:`.replay`) instead of the sim feed."""
    speed: float = 1.0
    restamp: bool = True
    start_at_ns: int | None = None
    """The replay's start (ns since the epoch): record ``k`` goes out at
    ``start + (t_k - t_0) / speed``. None: the next whole second when the feed starts.
    Two fronts given the same start and file send the same records at the same
    moments (:mod:`.replay`)."""
    seed: int = 0
    delay_ms: float = 0.0
    """The feed sends each slot (the sim) or record (a replay) this much late, stamped
    with its moment all the same (a front farther away)."""
    contracts: tuple[str, ...] = DEFAULT_CONTRACTS
    """vt_symbols (``rb2605.SHFE``): the sim's instruments, and the exchange of a
    replayed instrument whose file has no ExchangeID."""
    front_id: int = 1
    trading_day: date | None = None
    """The trading day the front reports (login answers, the instrument list); None:
    the clock's (CTP's: the next weekday from 17:00 China time). The control port's
    ``trading-day`` changes it while the front runs."""
    options: bool = True
    """The instrument list has the options as well as the futures (``--futures-only``
    says no)."""
    instruments_file: Path | None = None
    """A catalog file (:mod:`.instruments`) listed instead of the sim market's day."""
    app_id: str | None = None
    """A trading login's client authentication must give this AppID; None: any."""
    auth_code: str | None = field(default=None, repr=False)
    """...and this AuthCode; None: any, and a trading login needs no authentication."""
    max_subscribe_per_s: int | None = None
    """A connection that subscribes more instruments than this within one second is
    dropped, as a real front drops a flood (the library reports 0x1001); None: no limit."""
    max_sim_instruments: int = MAX_SIM_INSTRUMENTS

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port")
        if self.control_port is not None and not 0 <= self.control_port <= 65535:
            raise ValueError(f"control port {self.control_port} is not a TCP port")
        if self.port and self.port == self.resolved_control_port:
            raise ValueError(f"the control port must differ from the front's port {self.port}")
        if self.heartbeat_s < 1:
            raise ValueError(f"heartbeat_s must be >= 1, got {self.heartbeat_s}")
        if self.timeout_s <= self.heartbeat_s:
            raise ValueError(
                f"timeout_s ({self.timeout_s}) must be longer than heartbeat_s ({self.heartbeat_s})"
            )
        if not 0 <= self.delay_ms <= 60_000:
            raise ValueError(f"delay_ms must be 0 to 60000, got {self.delay_ms}")
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")
        if self.start_at_ns is not None:
            if self.replay is None:
                raise ValueError("a start moment (--start-at) is for a replay (--replay FILE)")
            if self.start_at_ns < 0:
                raise ValueError(f"the start must be after 1970, got {self.start_at_ns} ns")
        for name, value in (("broker", self.broker_id), ("user", self.user_id)):
            if not value or any(c in value for c in "\t\r\n"):
                raise ValueError(f"{name} id {value!r} must be non-empty text on one line")
        if any(c in self.password for c in "\t\r\n"):
            raise ValueError("the password must not contain a tab or a line break")
        for name, secret in (("app id", self.app_id), ("auth code", self.auth_code)):
            if secret is not None and (not secret or any(c in secret for c in "\t\r\n")):
                raise ValueError(f"the {name} must be non-empty text on one line")
        if self.max_subscribe_per_s is not None and self.max_subscribe_per_s < 1:
            raise ValueError(
                f"max_subscribe_per_s must be >= 1 (or no limit), got {self.max_subscribe_per_s}"
            )
        if self.max_sim_instruments < len(self.contracts):
            raise ValueError(
                f"max_sim_instruments ({self.max_sim_instruments}) is below the "
                f"{len(self.contracts)} configured contracts"
            )
        if self.instruments_file is not None and not self.options:
            raise ValueError("--futures-only is for the sim market's list, not a catalog file")
        _ = self.instruments  # validates the contracts

    @property
    def resolved_control_port(self) -> int:
        if self.control_port is not None:
            return self.control_port
        return control_port_for(self.port)

    @property
    def instruments(self) -> dict[str, str]:
        """Instrument id -> exchange, from :attr:`contracts`."""
        found: dict[str, str] = {}
        for vt_symbol in self.contracts:
            symbol, sep, exchange = vt_symbol.rpartition(".")
            if not sep or not symbol:
                raise ValueError(f"contract {vt_symbol!r} must look like SYMBOL.EXCHANGE")
            if exchange not in CTP_EXCHANGES:
                raise ValueError(
                    f"contract {vt_symbol!r}: CTP has no exchange {exchange!r} "
                    f"(it has {', '.join(CTP_EXCHANGES)})"
                )
            if found.get(symbol, exchange) != exchange:
                raise ValueError(f"instrument {symbol!r} is listed on two exchanges")
            found[symbol] = exchange
        return found
