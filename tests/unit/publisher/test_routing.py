"""Reading the routing bucket's entries: the eligible sources of a contract."""

from __future__ import annotations

import datetime as dt

import pytest

from tickhub_contracts import codec
from tickhub_contracts.messages import ContractRoute, GatewayStatus
from tickhub_publisher.routing import InvalidRoute, eligible_of, parse_value, vt_symbol_of_key

AT = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)
RB = "rb2605.SHFE"


def route(**fields: object) -> ContractRoute:
    values: dict[str, object] = {"vt_symbol": RB, "source": "sim-a", "at": AT}
    values.update(fields)
    return ContractRoute(**values)  # type: ignore[arg-type]


def test_hot_mode_makes_every_listed_source_eligible_best_first() -> None:
    eligible = eligible_of(route(eligible=["sim-a", "sim-b", "ctp-c"]))
    assert eligible.sources == {"sim-a", "sim-b", "ctp-c"}
    assert eligible.order == ("sim-a", "sim-b", "ctp-c")
    assert (eligible.active, eligible.mode, eligible.degraded) == ("sim-a", "hot", False)


def test_an_empty_eligible_list_means_the_active_source_alone() -> None:
    eligible = eligible_of(route(source="sim-b", mode="cold"))
    assert eligible.sources == {"sim-b"}
    assert eligible.order == ("sim-b",)
    assert eligible.mode == "cold"


def test_a_source_listed_twice_counts_once() -> None:
    assert eligible_of(route(eligible=["sim-a", "sim-b", "sim-a"])).order == ("sim-a", "sim-b")


def test_a_valid_entry_parses() -> None:
    raw = codec.encode(route(eligible=["sim-b"], degraded=True, source="sim-b"))
    eligible = parse_value(vt_symbol_of_key("SHFE.rb2605"), raw)
    assert eligible.sources == {"sim-b"}
    assert eligible.degraded


@pytest.mark.parametrize("key", ["rb2605", "SHFE.", ".rb2605", "SHFE.rb 2605", ""])
def test_keys_that_name_no_contract_are_refused(key: str) -> None:
    with pytest.raises(InvalidRoute):
        vt_symbol_of_key(key)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b'{"vt_symbol": "rb2605.SHFE"}',  # no source, no at
        codec.encode(
            GatewayStatus(source="sim-a", gateway_type="sim", priority=1, state="running", at=AT)
        ),
        codec.encode(route(vt_symbol="au2602.SHFE")),  # another contract than its key
        codec.encode(route(eligible=["sim a"])),  # cannot be a subject token
        codec.encode(route(source="")),
    ],
)
def test_values_that_cannot_be_trusted_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidRoute):
        parse_value(RB, raw)
