"""Cold failover mode's rules for what a worker holds (tickhub_gateway.manager.assignment)."""

from tickhub_contracts.messages import SourceConfig
from tickhub_gateway.manager.assignment import changes, holding, refusal, worker_config

CONFIG = SourceConfig(
    name="sim-a",
    gateway_type="sim",
    contracts=["rb2605.SHFE", "m2605.DCE", "SR605.CZCE"],
    canary="au2602.SHFE",
)


def test_configured_contracts_and_the_canary_can_be_assigned():
    assert refusal(CONFIG, []) is None
    assert refusal(CONFIG, ["m2605.DCE", "au2602.SHFE"]) is None


def test_a_contract_the_source_is_not_configured_for_is_refused_with_the_list():
    error = refusal(CONFIG, ["m2605.DCE", "IF2512.CFFEX", "cu2601.SHFE"])
    assert error is not None
    assert "IF2512.CFFEX, cu2601.SHFE" in error
    assert "SR605.CZCE, m2605.DCE, rb2605.SHFE" in error
    assert error.startswith("sim-a ")


def test_hot_mode_holds_everything_whatever_was_assigned():
    everything = {"rb2605.SHFE", "m2605.DCE", "SR605.CZCE", "au2602.SHFE"}
    assert holding(CONFIG, "hot", []) == everything
    assert holding(CONFIG, "hot", ["m2605.DCE"]) == everything
    assert worker_config(CONFIG, "hot", ["m2605.DCE"]) is CONFIG


def test_cold_mode_holds_the_canary_plus_the_assignment():
    assert holding(CONFIG, "cold", []) == {"au2602.SHFE"}
    assert holding(CONFIG, "cold", ["m2605.DCE"]) == {"au2602.SHFE", "m2605.DCE"}
    started = worker_config(CONFIG, "cold", ["m2605.DCE", "rb2605.SHFE"])
    assert started.contracts == ["m2605.DCE", "rb2605.SHFE"]
    assert started.all_symbols() == ["au2602.SHFE", "m2605.DCE", "rb2605.SHFE"]
    assert started.canary == CONFIG.canary and started.name == CONFIG.name


def test_cold_mode_drops_an_assigned_contract_no_longer_configured():
    fewer = SourceConfig(name="sim-a", gateway_type="sim", contracts=["rb2605.SHFE"])
    assert holding(fewer, "cold", ["m2605.DCE", "rb2605.SHFE"]) == {"rb2605.SHFE"}
    assert worker_config(fewer, "cold", ["m2605.DCE"]).all_symbols() == []


def test_changes_subscribe_the_new_and_unsubscribe_the_gone():
    assert changes({"a.SHFE", "b.SHFE"}, {"b.SHFE", "c.DCE", "d.DCE"}) == (
        ["c.DCE", "d.DCE"],
        ["a.SHFE"],
    )
    assert changes({"a.SHFE"}, {"a.SHFE"}) == ([], [])
