"""frontend/lib/types.ts keeps up with what the api sends: the dashboard's TypeScript
types are written by hand, and this fails when they drift.

Every name types.ts gives is checked against its source: a string-literal type
against the ``Literal`` of the same name in tickhub_contracts.messages; an interface
against the JSON schema of what the api sends, the /ws messages (the contracts'
msgspec Structs, as the api forwards them) and the REST bodies (the api's OpenAPI
document). Each field types.ts names must be sent, of the same kind; its string
literals must be exactly the schema's; a field the api may send as null must allow
null. (A field types.ts leaves out is fine: the dashboard does not read it.)
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography.fernet import Fernet

from tickhub_api import wire
from tickhub_api.main import create_app
from tickhub_contracts import messages
from tickhub_runtime.settings import Settings

TYPES = Path(__file__).parents[3] / "frontend" / "lib" / "types.ts"
UNIVERSE_TYPES = TYPES.with_name("universe-types.ts")
"""The universe page's types (the api's /api/universe and /api/instruments), read as
part of types.ts."""

Schema = dict[str, Any]

# --- what types.ts says --------------------------------------------------------------


@dataclass
class Field:
    name: str
    type: str
    optional: bool


@dataclass
class Interface:
    name: str
    fields: dict[str, Field]


def _declarations(text: str) -> Iterator[tuple[str, str, str]]:
    """(keyword, name, the rest) of each ``export`` declaration, comments left out."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    for match in re.finditer(
        r"^export (type|const|interface) (\w+)(.*?)(?=^export |\Z)", text, re.S | re.M
    ):
        yield match.group(1), match.group(2), match.group(3).strip()


def _split_union(expression: str) -> list[str]:
    """``A | "b" | null`` -> its members, at the top level only."""
    members, depth, current = [], 0, ""
    for char in expression:
        depth += char in "{(["
        depth -= char in "})]"
        if char == "|" and depth == 0:
            members.append(current.strip())
            current = ""
        else:
            current += char
    members.append(current.strip())
    return [member for member in members if member]


class TypesTs:
    """The declarations of types.ts that this test reads."""

    def __init__(self, text: str) -> None:
        self.aliases: dict[str, str] = {}
        self.interfaces: dict[str, Interface] = {}
        consts: dict[str, list[str]] = {}
        bases: dict[str, str] = {}
        for keyword, name, rest in _declarations(text):
            if keyword == "const":
                consts[name] = re.findall(r'"([^"]*)"', rest.split("as const")[0])
            elif keyword == "type":
                self.aliases[name] = rest.removeprefix("=").strip().rstrip(";").strip()
            else:
                head, _, body = rest.partition("{")
                extends = re.match(r"extends (\w+)", head.strip())
                if extends:
                    bases[name] = extends.group(1)
                fields = {}
                for found in re.finditer(
                    r"^\s*(\w+)(\??):\s*([^;]+);", body.rsplit("}", 1)[0], re.M
                ):
                    field = Field(found.group(1), found.group(3).strip(), found.group(2) == "?")
                    fields[field.name] = field
                self.interfaces[name] = Interface(name, fields)
        for name, base in bases.items():  # an interface that extends another has its fields
            self.interfaces[name].fields = {
                **self.interfaces[base].fields,
                **self.interfaces[name].fields,
            }
        for name, expression in self.aliases.items():  # (typeof CONST)[number]
            const = re.fullmatch(r"\(typeof (\w+)\)\[number\]", expression)
            if const:
                self.aliases[name] = " | ".join(f'"{value}"' for value in consts[const.group(1)])

    def members(self, expression: str) -> list[str]:
        """A type's union members, aliases resolved (an interface's name stays)."""
        found = []
        for member in _split_union(expression):
            if member in self.aliases:
                found.extend(self.members(self.aliases[member]))
            else:
                found.append(member)
        return found

    def literals(self, expression: str) -> set[str] | None:
        """The string literals a type allows, None when it is not only literals (and null)."""
        members = [member for member in self.members(expression) if member != "null"]
        values = [re.fullmatch(r'"([^"]*)"', member) for member in members]
        if not members or not all(values):
            return None
        return {value.group(1) for value in values if value}


TS = TypesTs(TYPES.read_text() + "\n" + UNIVERSE_TYPES.read_text())

# --- what the api sends -------------------------------------------------------------

# The NATS messages /ws forwards as they are (tickhub_api.wire).
WS_STRUCTS = [
    messages.GatewayStatus,
    messages.SourceHealth,
    messages.ContractRoute,
    messages.FailoverEvent,
    messages.RestartEvent,
    messages.LogRecord,
    messages.AccountChanged,
    messages.PublisherStats,
]


def _openapi(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("api"),
        api_token="t" * 32,
        secret_key=Fernet.generate_key().decode(),
    )
    document: Schema = create_app(settings).openapi()
    return document


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Schema]:
    """Every schema by name: the contracts' Structs and the OpenAPI document's."""
    _, structs = msgspec.json.schema_components(WS_STRUCTS)
    components: dict[str, Schema] = _openapi(tmp_path_factory)["components"]["schemas"]
    assert not set(structs) & set(components), "a name means two schemas"
    return {**structs, **components}


# types.ts interface -> the schema of what the api sends as it.
INTERFACES = {
    **{struct.__name__: struct.__name__ for struct in WS_STRUCTS},
    "TickDrops": "TickDrops",  # PublisherStats.sources' values; GatewayView.drops
    "GatewayView": "GatewayView",  # GET /api/gateways, and the /ws snapshot's gateways
    "Account": "AccountOut",
    "CtpOut": "CtpOut",
    "SimConfig": "SimConfig",
    "FieldError": "FieldError",
    "Problem": "Problem",
    "UniverseEntry": "EntryOut",
    "UniverseList": "UniverseOut",
    "CatalogMeta": "CatalogOut",
    "ResolvedContract": "ResolvedContract",
    "MainAlias": "AliasOut",
    "ResolvedCounts": "ResolvedCounts",
    "ResolvedUniverse": "ResolvedOut",
    "Instrument": "InstrumentOut",
    "InstrumentPage": "InstrumentPage",
    "CatalogRefreshResult": "RefreshOut",
}
NOT_A_BODY = {
    "CtpConfig": "the fields CtpOut extends: checked as CtpOut's",
    "SnapshotMessage": "the /ws snapshot: checked against tickhub_api.wire.snapshot",
}


def _resolve(schema: Schema, schemas: dict[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _variants(schema: Schema, schemas: dict[str, Schema]) -> list[Schema]:
    """The alternatives a value may take (anyOf / oneOf flattened, refs resolved)."""
    schema = _resolve(schema, schemas)
    for key in ("anyOf", "oneOf"):
        if key in schema and "properties" not in schema:
            return [v for option in schema[key] for v in _variants(option, schemas)]
    return [schema]


def _kind(schema: Schema) -> str:
    if "enum" in schema or "const" in schema:
        return (
            "string"
            if all(isinstance(v, str) for v in schema.get("enum", [schema.get("const")]))
            else "other"
        )
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return "number"
    if kind is None and "properties" in schema:
        return "object"
    return str(kind)


def _ts_kind(member: str) -> str:
    if member.startswith('"'):
        return "string"
    if member.endswith("[]"):
        return "array"
    if member in ("string", "number", "boolean", "null"):
        return member
    if member.startswith("Record<string, "):  # a dict of the api's
        return "object"
    if member in TS.interfaces:
        return "object"
    raise AssertionError(f"types.ts: a type this test cannot read: {member}")


def _field_problems(
    interface: Interface, schema: Schema, schemas: dict[str, Schema]
) -> Iterator[str]:
    properties: dict[str, Schema] = _resolve(schema, schemas)["properties"]
    for field in interface.fields.values():
        where = f"{interface.name}.{field.name}"
        if field.name not in properties:
            yield f"{where}: the api sends no such field"
            continue
        variants = _variants(properties[field.name], schemas)
        sent = {_kind(variant) for variant in variants}
        members = TS.members(field.type)
        declared = {_ts_kind(member) for member in members}
        if "null" in sent and "null" not in declared:
            yield f"{where}: the api may send null; types.ts says {field.type}"
        if sent - {"null"} != declared - {"null"}:
            yield f"{where}: the api sends {sorted(sent)}; types.ts says {field.type}"
        literals = TS.literals(field.type)
        if literals is not None:
            allowed = {
                value
                for variant in variants
                for value in variant.get("enum", [variant["const"]] if "const" in variant else [])
            }
            if literals != allowed:
                yield (f"{where}: types.ts allows {sorted(literals)}, the api {sorted(allowed)}")


# --- the checks -----------------------------------------------------------------------


def test_this_test_reads_types_ts() -> None:
    # Guards the reading above: if it found nothing, the tests below prove nothing.
    assert {"HealthState", "HealthCause", "ViewState", "ServerMessage"} <= set(TS.aliases)
    assert TS.literals("HealthState") == set(typing.get_args(messages.HealthState))
    assert set(TS.interfaces) >= {"GatewayStatus", "SourceHealth", "GatewayView", "Account"}
    assert TS.interfaces["CtpOut"].fields.keys() > TS.interfaces["CtpConfig"].fields.keys()
    assert TS.interfaces["GatewayStatus"].fields["pid"] == Field("pid", "number | null", True)


def test_every_interface_is_checked() -> None:
    assert set(TS.interfaces) == set(INTERFACES) | set(NOT_A_BODY)


CONTRACT_LITERALS = {
    name: set(typing.get_args(value))
    for name, value in vars(messages).items()
    if typing.get_origin(value) is typing.Literal
}


@pytest.mark.parametrize(
    "name", sorted(name for name in TS.aliases if TS.literals(name) is not None)
)
def test_each_string_literal_type_is_the_contracts(name: str) -> None:
    if name not in CONTRACT_LITERALS:
        # Checked with the interfaces that use them: GatewayView.state, the universe's
        # entry kind (tickhub_universe's) and the resolved view's problem filter.
        assert name in ("ViewState", "UniverseEntryKind", "ResolvedProblem"), (
            f"types.ts: {name} names no Literal of tickhub_contracts"
        )
        return
    assert TS.literals(name) == CONTRACT_LITERALS[name]


@pytest.mark.parametrize("name", sorted(INTERFACES))
def test_each_interface_is_what_the_api_sends(name: str, schemas: dict[str, Schema]) -> None:
    problems = list(_field_problems(TS.interfaces[name], schemas[INTERFACES[name]], schemas))
    assert not problems, "frontend/lib/types.ts drifted from the api:\n" + "\n".join(problems)


def test_the_snapshot_has_the_fields_the_api_sends() -> None:
    sent = {"type", *inspect.signature(wire.snapshot).parameters}
    assert set(TS.interfaces["SnapshotMessage"].fields) == sent


def _message_type(member: str) -> str:
    """The ``type`` of one member of ServerMessage: an interface or an object literal."""
    if member in TS.interfaces:
        return TS.interfaces[member].fields["type"].type.strip('"')
    found = re.search(r'type: "(\w+)"', member)
    assert found is not None, f"types.ts: a ServerMessage without a type: {member}"
    return found.group(1)


def test_the_server_messages_are_the_ones_the_api_sends() -> None:
    kinds = {_message_type(member) for member in _split_union(TS.aliases["ServerMessage"])}
    assert kinds == {*typing.get_args(wire.EventType), "route", "ping", "snapshot"}
