"""The account field rules: the same names, contracts and fronts the rest of the hub
accepts, and the schema says exactly what is valid."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ConfigDict, TypeAdapter, ValidationError

from tickhub_accounts.rules import (
    CANARY_PATTERN,
    EXCHANGES,
    FRONT_PATTERN,
    Canary,
    CtpConfig,
    FrontAddress,
    Priority,
    SimConfig,
    SourceName,
    VtSymbol,
)
from tickhub_contracts import subjects

# Strict, as in the models that use these types.
STRICT = ConfigDict(strict=True)
names = TypeAdapter(SourceName, config=STRICT)
symbols = TypeAdapter(VtSymbol, config=STRICT)
fronts = TypeAdapter(FrontAddress, config=STRICT)
priorities = TypeAdapter(Priority, config=STRICT)
canaries = TypeAdapter(Canary, config=STRICT)


def _accepted(adapter: TypeAdapter[Any], value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _is_token(value: str) -> bool:
    try:
        subjects.token(value)
    except subjects.InvalidToken:
        return False
    return True


@given(st.text(max_size=70))
def test_a_name_is_valid_exactly_when_it_is_a_nats_token(value: str) -> None:
    assert _accepted(names, value) == _is_token(value)


@given(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True))
def test_every_token_shaped_name_is_valid(value: str) -> None:
    assert _accepted(names, value)


@given(st.text(max_size=20), st.sampled_from([*EXCHANGES, "LME", "shfe", "SSE", ""]))
def test_a_contract_is_symbol_dot_ctp_exchange(symbol: str, exchange: str) -> None:
    vt_symbol = f"{symbol}.{exchange}"
    expected = _is_token(symbol) and exchange in EXCHANGES
    assert _accepted(symbols, vt_symbol) == expected
    if expected:
        assert subjects.split_vt_symbol(vt_symbol) == (symbol, exchange)


@given(st.integers(min_value=-10, max_value=100_000))
def test_a_front_port_is_1_to_65535(port: int) -> None:
    assert _accepted(fronts, f"tcp://127.0.0.1:{port}") == (1 <= port <= 65535)
    # Leading zeros are no port CTP would print: refused.
    assert not _accepted(fronts, f"tcp://127.0.0.1:0{port}") or port < 0


@pytest.mark.parametrize(
    "address",
    ["http://a:1", "tcp://a", "tcp://:1", "tcp://user@a:1", "tcp://a:1/x", "tcp://a b:1", ""],
)
def test_malformed_fronts_are_refused(address: str) -> None:
    assert not _accepted(fronts, address)
    assert not re.match(FRONT_PATTERN, address)


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_priority_bounds(value: int) -> None:
    assert _accepted(priorities, value) == (0 <= value <= 1000)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(3.0, True), (3.5, False), ("3", False), (True, False), (None, False), (1e300, False)],
)
def test_priority_takes_integral_floats_only(value: object, ok: bool) -> None:
    assert _accepted(priorities, value) == ok


def test_strict_models_refuse_coercion_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        SimConfig.model_validate({"fail_login": "true"})
    with pytest.raises(ValidationError):
        SimConfig.model_validate({"speed": 1})
    with pytest.raises(ValidationError):
        SimConfig.model_validate({"delay_ms": float("nan")})
    with pytest.raises(ValidationError) as error:
        CtpConfig.model_validate({"userid": "1", "broker_id": "9999", "md_fronts": []})
    assert [e["loc"] for e in error.value.errors()] == [("md_fronts",)]


def test_ctp_lengths_are_ctps_own() -> None:
    base = {"userid": "1", "broker_id": "9999", "md_fronts": ["tcp://a:1"]}
    CtpConfig.model_validate({**base, "userid": "u" * 15, "app_id": "a" * 32})
    for field, value in (("userid", "u" * 16), ("app_id", "a" * 33), ("broker_id", "1" * 11)):
        with pytest.raises(ValidationError):
            CtpConfig.model_validate({**base, field: value})


def _ctp(**fields: object) -> dict[str, object]:
    return {"userid": "u1", "broker_id": "9999", "md_fronts": ["tcp://127.0.0.1:1"], **fields}


def test_the_stand_in_library_is_never_the_default() -> None:
    config = CtpConfig.model_validate(_ctp())
    assert (config.md_library, config.trading_hours) == ("ctp", "exchange")


@pytest.mark.parametrize(
    ("library", "hours", "ok"),
    [
        ("ctp", "exchange", True),
        ("local", "exchange", True),
        ("local", "always", True),
        ("ctp", "always", False),
    ],
)
def test_only_a_local_front_may_tick_around_the_clock(library: str, hours: str, ok: bool) -> None:
    data = _ctp(md_library=library, trading_hours=hours)
    if ok:
        CtpConfig.model_validate(data)
        return
    with pytest.raises(ValidationError) as caught:
        CtpConfig.model_validate(data)
    # The error names the field, so the api's 422 does.
    assert [e["loc"] for e in caught.value.errors()] == [("trading_hours",)]


def test_an_unknown_library_is_refused() -> None:
    with pytest.raises(ValidationError):
        CtpConfig.model_validate(_ctp(md_library="mine"))


@pytest.mark.parametrize(
    "vt_symbol",
    ["rb2605.SHFE", "au2602.SHFE", "m2605.DCE", "SR605.CZCE", "IF2512.CFFEX", "ad2605.SHFE"],
)
def test_a_canary_of_a_known_product_is_accepted(vt_symbol: str) -> None:
    assert canaries.validate_python(vt_symbol) == vt_symbol


def test_a_canary_of_an_unknown_product_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        canaries.validate_python("zz2605.SHFE")
    [error] = caught.value.errors()
    assert "unknown product 'zz' on SHFE" in error["msg"]
    assert not _accepted(canaries, "rb2605.DCE")  # rb is SHFE's
    assert not _accepted(canaries, "rb2605")  # not SYMBOL.EXCHANGE at all


@given(
    st.one_of(
        st.from_regex(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9_-]{0,8}", fullmatch=True),
        st.text(max_size=12),
    ),
    st.sampled_from([*EXCHANGES, "LME"]),
)
def test_the_schema_pattern_says_what_a_canary_may_be(symbol: str, exchange: str) -> None:
    vt_symbol = f"{symbol}.{exchange}"
    assert _accepted(canaries, vt_symbol) == (re.match(CANARY_PATTERN, vt_symbol) is not None)
    schema = canaries.json_schema()
    assert schema["pattern"] == CANARY_PATTERN
