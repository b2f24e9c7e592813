"""What a valid account looks like: one set of rules for the api (which answers bad
input with 422 naming the field) and the gateway (which re-checks what it reads).

The constraints are declared in the types (patterns, bounds) so that they also appear
in the OpenAPI schema, where clients and property-based tests can read them.

The field lengths of the CTP settings are those of CTP's own C structs (a user id is
``char[16]``: 15 characters and the NUL), so a value that passes here is one CTP can
take without truncating it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from tickhub_markets import sessions
from tickhub_universe.entries import MAX_ENTRY, EntryError, parse_entry

GatewayTypeName = Literal["ctp", "sim"]
GATEWAY_TYPES: tuple[GatewayTypeName, ...] = ("ctp", "sim")

# The exchanges CTP serves (vnpy_ctp's EXCHANGE_CTP2VT).
EXCHANGES = ("CFFEX", "SHFE", "DCE", "CZCE", "INE", "GFEX")

PRIORITY_MIN = 0
PRIORITY_MAX = 1000
MAX_CONTRACTS = 2000
MAX_MD_FRONTS = 16
CAPACITY_MIN = 1
CAPACITY_MAX = 100_000
DEFAULT_CAPACITY = 5000
MAX_EXCLUDED = 200
NOTE_MAX = 200

# A source name becomes a NATS subject token and a directory name
# (tickhub_contracts.subjects.token): letters, digits, '-' and '_'.
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
VT_SYMBOL_PATTERN = r"^[A-Za-z0-9_-]{1,64}\.(" + "|".join(EXCHANGES) + r")$"
# CTP takes "tcp://host:port" or "ssl://host:port"; no path, no user info. The port
# is 1-65535, spelled out so that the schema itself says so.
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
FRONT_PATTERN = r"^(tcp|ssl)://[A-Za-z0-9.-]{1,253}:" + _PORT + "$"
# What an account may refuse to serve: an exchange (CZCE) or one product of it
# (SR.CZCE, the product as CTP's ProductID spells it).
EXCLUSION_PATTERN = r"^([A-Za-z0-9_]{1,32}\.)?(" + "|".join(EXCHANGES) + r")$"

# --- universe entries -------------------------------------------------------------
# The grammar is tickhub_universe.entries'; the pattern below states the same set of
# texts in their canonical spelling (exchanges in capitals, no blanks), so that the
# OpenAPI document says what is accepted and clients (and the api's fuzz tests) need
# not learn it from a 422. tests/unit/accounts/test_entry_pattern.py holds the two
# to each other.
_EX = "(" + "|".join(EXCHANGES) + ")"
_T = "[A-Za-z0-9_-]"  # a symbol's characters
_NOT_8 = "[A-Za-z0-79_-]"
# Without a wildcard, on every exchange (.*): any symbol but a product's letters
# (rb) or an alias (rb888): letters, then a non-letter part other than "888" exactly;
# or a symbol that begins with a non-letter.
_PLAIN_ANYWHERE = (
    f"([A-Za-z]+([0-79_-]{_T}*|8|88|8{_NOT_8}{_T}*|88{_NOT_8}{_T}*|888{_T}+)|[0-9_-]{_T}*)"
)
_PIECE = r"([A-Za-z0-9_*?-]|\[[A-Za-z0-9_-]+\])"
_WILD = r"([*?]|\[[A-Za-z0-9_-]+\])"
ENTRY_PATTERN = (
    f"^({_EX}"  # SHFE
    f"|[A-Za-z]+\\.{_EX}"  # rb.SHFE
    f"|[A-Za-z]+[0-9]{_T}*\\.{_EX}"  # rb2605.SHFE, rb888.SHFE
    f"|{_PIECE}*{_WILD}{_PIECE}*\\.({_EX}|\\*)"  # rb26*.SHFE, IF*.*
    f"|{_PLAIN_ANYWHERE}\\.\\*"  # rb2605.*
    ")$"
)
ENTRY_MAX = MAX_ENTRY
NOTE_PATTERN = r"^[^\x00-\x1F\x7F]*$"


def _integral(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer (and JSON has one number type): take it as
    # 3. Anything else (1.5, "3", true) is left for the strict int check to refuse.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


# Appended to an int's metadata: it accepts the integral floats JSON Schema calls
# integers. (Placed after the bounds, so they still show as minimum/maximum.)
AcceptIntegralFloat = BeforeValidator(_integral)


SourceName = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        min_length=1,
        max_length=64,
        description="Unique name, also the source's NATS token: 1-64 of A-Z a-z 0-9 - _.",
        examples=["ctp-main"],
    ),
]
Priority = Annotated[
    int,
    Field(
        ge=PRIORITY_MIN,
        le=PRIORITY_MAX,
        description=f"Lower number = preferred source ({PRIORITY_MIN}-{PRIORITY_MAX}); ties go "
        "to the lower id.",
        examples=[1],
    ),
    AcceptIntegralFloat,
]
VtSymbol = Annotated[
    str,
    Field(
        pattern=VT_SYMBOL_PATTERN,
        max_length=71,
        description="Contract as vnpy writes it: SYMBOL.EXCHANGE, exchange one of "
        + ", ".join(EXCHANGES)
        + ".",
        examples=["rb2605.SHFE"],
    ),
]
# A canary must be a product whose sessions tickhub knows (tickhub_markets' table):
# judged by an unknown product's guessed hours, its source would look dead or closed
# at the wrong times. The schema states it as a pattern built from the same table, so
# clients (and the api's fuzz tests) need not learn it from a 422; the check itself
# is the table's, with a message that names the product.
CANARY_PATTERN = sessions.known_vt_symbol_pattern(EXCHANGES, max_symbol_length=64)


def _known_product(vt_symbol: str) -> str:
    found = sessions.sessions_of(vt_symbol)
    if not found.known:
        raise ValueError(
            f"unknown product {found.product!r} on {found.exchange}: a canary must be a "
            "product whose trading sessions tickhub knows (tickhub_markets/sessions.toml)"
        )
    return vt_symbol


Canary = Annotated[
    VtSymbol,
    AfterValidator(_known_product),
    Field(
        description="Contract whose ticks prove the feed is alive: SYMBOL.EXCHANGE of a "
        "product in tickhub's session table (its market hours say when it must tick).",
        json_schema_extra={"pattern": CANARY_PATTERN},
    ),
]
FrontAddress = Annotated[
    str,
    Field(pattern=FRONT_PATTERN, max_length=270, examples=["tcp://180.168.146.187:10211"]),
]
Contracts = Annotated[
    list[VtSymbol],
    Field(
        max_length=MAX_CONTRACTS,
        description="An explicit list: the account subscribes exactly these (and its canary) "
        "and takes no contract of the universe. Empty: it takes part in the allocation of "
        "the universe.",
        examples=[["rb2605.SHFE", "m2605.DCE"]],
    ),
]

Capacity = Annotated[
    int,
    Field(
        ge=CAPACITY_MIN,
        le=CAPACITY_MAX,
        description="How many contracts the account may subscribe, its canary included "
        f"({CAPACITY_MIN}-{CAPACITY_MAX}); the allocation never gives it more.",
        examples=[DEFAULT_CAPACITY],
    ),
    AcceptIntegralFloat,
]
Exclusion = Annotated[
    str,
    Field(
        pattern=EXCLUSION_PATTERN,
        max_length=41,
        description="An exchange (CZCE) or a product of one (SR.CZCE).",
        examples=["CZCE"],
    ),
]
Excluded = Annotated[
    list[Exclusion],
    Field(
        max_length=MAX_EXCLUDED,
        description="Exchanges (CZCE) or products (SR.CZCE) this account must not serve: "
        "the allocation gives it none of their contracts.",
        examples=[["CZCE", "SR.CZCE"]],
    ),
]


def _entry_text(text: str) -> str:
    # parse_entry's own words first: they say what is wrong and which forms there are.
    try:
        entry = parse_entry(text)
    except EntryError as error:
        raise ValueError(str(error)) from None
    if entry.text != text:
        raise ValueError(f"write the universe entry {text!r} as {entry.text!r}")
    if _ENTRY.fullmatch(text) is None:  # parses, yet the schema does not say so: a bug
        raise ValueError(f"universe entry {text!r} is not one of the forms accepted")
    return text


_ENTRY = re.compile(ENTRY_PATTERN)

EntryText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=ENTRY_MAX,
        description="An exchange (SHFE), a product (rb.SHFE), a contract (rb2605.SHFE), a "
        "main-contract alias (rb888.SHFE) or a pattern (rb26*.SHFE, *.GFEX, IF*.*), "
        "exchanges in capitals (docs/universe.md).",
        examples=["rb.SHFE"],
        json_schema_extra={"pattern": ENTRY_PATTERN},
    ),
    AfterValidator(_entry_text),
]


def _no_surrogates(text: str) -> str:
    # A JSON string may hold a lone surrogate ("\ud800"): no database can store it.
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode (a lone surrogate)") from None
    return text


Note = Annotated[
    str,
    Field(
        max_length=NOTE_MAX,
        pattern=NOTE_PATTERN,
        description=f"The desk's own words about the entry (at most {NOTE_MAX} characters, "
        "no control characters).",
        examples=["steel desk"],
    ),
    AfterValidator(_no_surrogates),
]
WithOptions = Annotated[
    bool,
    Field(description="The options on what the entry names are wanted too.", examples=[False]),
]


# --- sim settings ---

TicksPerSecond = Annotated[
    float,
    Field(gt=0, le=50, allow_inf_nan=False, description="Ticks per contract per second."),
]
DelayMs = Annotated[
    float,
    Field(
        ge=0,
        le=60_000,
        allow_inf_nan=False,
        description="Arrival delay added to every tick, so two sims can race each other.",
    ),
]
# 2**53 - 1: the largest integer a JSON number carries exactly everywhere (a browser's
# included); a larger one can come back as a neighbour of itself.
Seed = Annotated[
    int, Field(ge=0, le=2**53 - 1, description="Seed of the price walk."), AcceptIntegralFloat
]
FailLogin = Annotated[
    bool, Field(description="Reject the login the way a wrong password does (rehearsal).")
]

# --- ctp settings ---

UserId = Annotated[
    str, Field(min_length=1, max_length=15, pattern=r"^[\x21-\x7E]+$", examples=["089123"])
]
BrokerId = Annotated[
    str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$", examples=["9999"])
]
MdFronts = Annotated[
    list[FrontAddress],
    Field(
        min_length=1,
        max_length=MAX_MD_FRONTS,
        description="Market-data fronts; CTP tries them in turn.",
        examples=[["tcp://180.168.146.187:10211", "tcp://180.168.146.187:10212"]],
    ),
]
TdFront = Annotated[
    str,
    Field(
        max_length=270,
        pattern=r"^$|" + FRONT_PATTERN,
        description='Trading front, for the contract query; "" for a market-data-only account.',
        examples=["tcp://180.168.146.187:10201"],
    ),
]
AppId = Annotated[str, Field(max_length=32, pattern=r"^[\x21-\x7E]*$", examples=["client_x_1.0"])]
ProductInfo = Annotated[str, Field(max_length=10, pattern=r"^[\x21-\x7E]*$")]
Environment = Annotated[
    Literal["production", "test"],
    Field(description="CTP's 柜台环境: production (实盘) or test (测试)."),
]
ConnectTimeout = Annotated[
    float,
    Field(
        gt=0,
        le=300,
        allow_inf_nan=False,
        description="Without a login after this long, the source reports disconnected.",
    ),
]
MdLibrary = Annotated[
    Literal["ctp", "local"],
    Field(
        description="The market-data library the worker loads: ctp (the broker's, as "
        "vnpy_ctp ships it) or local (tickhub's stand-in, which talks only to "
        "`tickhub ctp-front`: rehearsal and tests, never a broker)."
    ),
]
CtpTradingHours = Annotated[
    Literal["exchange", "always"],
    Field(
        description="When the canary must tick: exchange (the exchanges' sessions, as "
        "every broker's front) or always (a local front ticking around the clock; "
        "md_library local only)."
    ),
]

SubscribePace = Annotated[
    int,
    Field(
        ge=1,
        le=100_000,
        description="Subscriptions sent to the md front per second at most: a front "
        "disconnects a client that floods it (docs/universe.md).",
        examples=[1000],
    ),
    AcceptIntegralFloat,
]


class Strict(BaseModel):
    # Strict: "1" is not a priority and "true" is not a boolean; automation scripts
    # learn about their mistakes instead of having them guessed away.
    model_config = ConfigDict(extra="forbid", strict=True)


class SimConfig(Strict):
    """A simulated source (rehearsal, tests): ticks derived from contract and time slot,
    so two sims produce identical ticks."""

    ticks_per_second: TicksPerSecond = 2.0
    delay_ms: DelayMs = 0.0
    seed: Seed = 0
    fail_login: FailLogin = False


# The rule of CtpConfig._hours_fit_the_front, as JSON Schema, so the OpenAPI document
# states it and clients (and the api's fuzz tests) need not learn it from a 422.
_HOURS_FIT_THE_FRONT: dict[str, Any] = {
    "anyOf": [
        {"properties": {"trading_hours": {"const": "exchange"}}},
        {"properties": {"md_library": {"const": "local"}}, "required": ["md_library"]},
    ]
}


class CtpConfig(Strict):
    """A CTP market-data account, without its secrets."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_HOURS_FIT_THE_FRONT)

    userid: UserId
    broker_id: BrokerId
    md_fronts: MdFronts
    td_front: TdFront = ""
    app_id: AppId = ""
    product_info: ProductInfo = ""
    environment: Environment = "production"
    connect_timeout_s: ConnectTimeout = 10.0
    md_library: MdLibrary = "ctp"
    trading_hours: CtpTradingHours = "exchange"
    subscribe_per_s: SubscribePace = 1000

    @field_validator("trading_hours")
    @classmethod
    def _hours_fit_the_front(cls, hours: str, info: ValidationInfo) -> str:
        # No broker's front ticks around the clock: an "always" there would hide a dead
        # feed at night behind a verdict that expects nothing. (A field validator, so
        # the 422 names trading_hours; md_library is declared first and checked by now.)
        if hours == "always" and info.data.get("md_library", "ctp") != "local":
            raise ValueError("trading_hours 'always' needs md_library 'local'")
        return hours


# Secrets: printable ASCII (CTP's char[41] and char[17], less the NUL).
Password = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[\x20-\x7E]+$",
        description="Write-only: stored encrypted, never returned.",
        examples=["s3cret-Passw0rd"],
    ),
]
AuthCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=16,
        pattern=r"^[\x21-\x7E]+$",
        description="Write-only: stored encrypted, never returned.",
        examples=["0000000000000000"],
    ),
]
