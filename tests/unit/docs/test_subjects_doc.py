"""docs/subjects.md keeps up with tickhub_contracts: every subject is described, and
every example payload is a real message of the type it names."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import msgspec
import pytest

from tickhub_contracts import codec, messages, subjects

DOC = Path(__file__).parents[3] / "docs" / "subjects.md"
TEXT = DOC.read_text()

# Messages that never travel on NATS (a worker's configuration goes over its stdin).
NOT_ON_THE_BUS = {"SimSettings", "CtpSettings", "SourceConfig"}
# Parts of another message, shown inside its example.
PARTS = {"TickDrops", "Instrument", "DayClose"}


def _subject_functions() -> dict[str, str]:
    """Public functions of subjects.py that build a subject -> that subject with each
    parameter shown as <name>."""
    found = {}
    for name, value in vars(subjects).items():
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if value.__module__ != subjects.__name__:
            continue
        params = inspect.signature(value).parameters
        try:
            result = value(*(f"<{p}>" for p in params))
        except Exception:  # a helper that takes something else than tokens
            continue
        if isinstance(result, str) and result.startswith(f"{subjects.PREFIX}."):
            found[name] = result
    return found


def _constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(subjects).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    }


def test_the_module_has_what_this_test_expects() -> None:
    # Guards the introspection above: if it found nothing, the tests below prove nothing.
    assert {"ticks", "canary", "heartbeat", "status", "control", "log"} <= set(_subject_functions())
    assert {"TICKS_ALL", "CANARY_ALL", "POOL", "LOG_ALL", "PREFIX"} <= set(_constants())


@pytest.mark.parametrize(("name", "pattern"), sorted(_subject_functions().items()))
def test_every_subject_function_is_described(name: str, pattern: str) -> None:
    assert f"`{name}(" in TEXT, f"docs/subjects.md does not describe subjects.{name}()"
    assert pattern in TEXT, f"docs/subjects.md does not show the subject {pattern}"


@pytest.mark.parametrize(("name", "value"), sorted(_constants().items()))
def test_every_subject_constant_is_described(name: str, value: str) -> None:
    assert f"`{name}`" in TEXT, f"docs/subjects.md does not describe subjects.{name}"
    assert f"`{value}`" in TEXT, f"docs/subjects.md does not show {name} = {value!r}"


EXAMPLES = re.findall(r"^```json (\w+)\n(.*?)^```$", TEXT, re.S | re.M)


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("type_name", "body"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_every_example_is_a_real_message(type_name: str, body: str) -> None:
    type_ = getattr(messages, type_name)
    # Strict: a field the contract does not know is an error, not silently dropped.
    strict = msgspec.defstruct(
        f"Strict{type_name}", [], bases=(type_,), forbid_unknown_fields=True, kw_only=True
    )
    decoded = msgspec.json.decode(body.encode(), type=strict)
    assert codec.decode(body.encode(), type_) == type_(**msgspec.structs.asdict(decoded))


def test_every_bus_message_has_an_example() -> None:
    structs = {
        name
        for name, value in vars(messages).items()
        if inspect.isclass(value)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == messages.__name__
    }
    shown = {type_name for type_name, _ in EXAMPLES}
    assert structs - NOT_ON_THE_BUS - PARTS - shown == set()


def test_every_watch_line_is_a_valid_subject_pattern() -> None:
    for pattern in re.findall(r"nats sub '?([^'\s`]+)", TEXT):
        tokens = pattern.split(".")
        assert tokens[0] == subjects.PREFIX, pattern
        assert all(tokens), pattern
        assert ">" not in tokens[:-1], pattern
