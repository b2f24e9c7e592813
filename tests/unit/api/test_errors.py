"""Error bodies: fields named, values never echoed."""

from __future__ import annotations

import json

from tickhub_api.errors import field_errors, validation_problem


def test_field_errors_name_the_field_and_drop_the_input() -> None:
    errors = field_errors(
        [
            {
                "type": "string_too_long",
                "loc": ("body", "ctp", "password"),
                "msg": "String should have at most 40 characters",
                "input": "hunter2-secret",
                "ctx": {"max_length": 40},
            },
            {
                "type": "value_error",
                "loc": ("body", "gateway_type=ctp", "ctp", "md_fronts", 0, "function-after[x]"),
                "msg": "bad",
                "input": "x",
            },
            {"type": "missing", "loc": ("query", "is enabled"), "msg": "m", "input": None},
        ]
    )
    assert [(e.field, e.location) for e in errors] == [
        ("ctp.password", "body"),
        ("ctp.md_fronts.0", "body"),
        ("is enabled", "query"),
    ]
    assert "hunter2-secret" not in json.dumps([e.model_dump() for e in errors])


def test_json_syntax_errors_are_400_malformed_json() -> None:
    response = validation_problem([{"type": "json_invalid", "loc": ("body", 3), "msg": "x"}])
    assert response.status_code == 400
    assert json.loads(bytes(response.body))["type"] == "malformed_json"


def test_many_errors_are_summarised() -> None:
    errors = [
        {"type": "missing", "loc": ("body", f"f{i}"), "msg": "Field required"} for i in range(8)
    ]
    body = json.loads(bytes(validation_problem(errors).body))
    assert body["status"] == 422 and len(body["errors"]) == 8
    assert body["detail"].startswith("f0: Field required; f1: Field required")
    assert body["detail"].endswith("; ...")
