import msgspec
import pytest

from tickhub_contracts.messages import SimSettings, SourceConfig
from tickhub_gateway.manager.plan import plan_pool, validate


def sim(name: str, priority: int = 1, **kwargs) -> SourceConfig:
    return SourceConfig(
        name=name,
        gateway_type="sim",
        priority=priority,
        contracts=["rb2605.SHFE"],
        canary="rb2605.SHFE",
        sim=SimSettings(**kwargs),
    )


def test_new_removed_changed_and_reprioritised_sources_are_told_apart():
    current = {"a": sim("a"), "b": sim("b"), "c": sim("c"), "d": sim("d")}
    plan = plan_pool(current, [sim("a"), sim("b", delay_ms=5), sim("c", priority=3), sim("e")])
    assert [c.name for c in plan.add] == ["e"]
    assert plan.remove == ["d"]
    assert [c.name for c in plan.restart] == ["b"]
    assert [c.name for c in plan.update] == ["c"]
    assert not plan.empty


def test_the_same_pool_is_an_empty_plan():
    assert plan_pool({"a": sim("a")}, [sim("a")]).empty


def test_disabling_a_source_needs_its_process_changed():
    disabled = SourceConfig(name="a", gateway_type="sim", enabled=False)
    plan = plan_pool({"a": SourceConfig(name="a", gateway_type="sim")}, [disabled])
    assert plan.restart == [disabled]


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        ([sim("a"), sim("a")], "listed twice"),
        ([sim("bad name")], "source name"),
        ([SourceConfig(name="a", gateway_type="sim", contracts=["rb2605"])], "SYMBOL.EXCHANGE"),
        ([SourceConfig(name="a", gateway_type="sim", canary="x.y.z*")], "must be"),
    ],
)
def test_an_invalid_pool_is_refused_whole(configs, message):
    with pytest.raises(ValueError, match=message):
        validate(configs)
    with pytest.raises(ValueError, match=message):
        plan_pool({}, configs)


def test_a_change_of_contracts_alone_is_a_resubscription_not_a_restart():
    # The universe moves contracts between sources every day: no feed may restart for it.
    old = sim("a")
    new = msgspec.structs.replace(old, contracts=["rb2605.SHFE", "rb2610.SHFE"], priority=2)
    plan = plan_pool({"a": old}, [new])
    assert [c.name for c in plan.resubscribe] == ["a"]
    assert not (plan.restart or plan.update or plan.add or plan.remove)


def test_contracts_and_settings_changed_together_restart():
    old = sim("a")
    new = msgspec.structs.replace(old, contracts=["rb2610.SHFE"], sim=SimSettings(delay_ms=5))
    plan = plan_pool({"a": old}, [new])
    assert [c.name for c in plan.restart] == ["a"] and not plan.resubscribe
