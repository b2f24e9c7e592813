"""Property-based: schemathesis generates requests from the api's own OpenAPI
document, valid ones and invalid ones, and checks the real server's answers: never a
500, and always what the document promises (status codes, content type, body schema).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case

from tests.integration.api.conftest import AUTH, ApiProcess

EXAMPLES = 60
OPERATIONS = [
    "GET /health",
    "GET /health/ready",
    "GET /api/accounts",
    "POST /api/accounts",
    "GET /api/accounts/{account_id}",
    "PUT /api/accounts/{account_id}",
    "DELETE /api/accounts/{account_id}",
    "POST /api/accounts/{account_id}/start",
    "POST /api/accounts/{account_id}/stop",
    "POST /api/accounts/{account_id}/restart",
    "GET /api/gateways",
    "GET /api/universe",
    "POST /api/universe",
    "GET /api/universe/resolved",
    "PATCH /api/universe/{entry_id}",
    "DELETE /api/universe/{entry_id}",
    "GET /api/instruments",
    "POST /api/instruments/refresh",
]


def test_the_document_lists_every_operation(api_process: ApiProcess) -> None:
    schema = schemathesis.openapi.from_url(f"{api_process.url}/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    assert sorted(result.ok().label for result in results if isinstance(result, Ok)) == sorted(
        OPERATIONS
    )


NO_MANAGER = {"POST /api/instruments/refresh"}

# Negative data for every operation that takes input (the health checks take none).
CASES = [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, GenerationMode.NEGATIVE) for label in OPERATIONS if "/api/" in label
]


@pytest.mark.parametrize(
    ("label", "mode"), CASES, ids=[f"{label} {mode.value}" for label, mode in CASES]
)
def test_no_request_breaks_the_api(
    api_process: ApiProcess, label: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{api_process.url}/openapi.json")
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy(generation_mode=mode))
    # derandomize: the same examples on every run, so the suite is deterministic; a
    # change to the api or its document changes them, which is when they matter.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def run(case: Case[Any]) -> None:
        case.call_and_validate(headers=AUTH, excluded_checks=excluded)

    # No gateway manager runs beside this api: a refresh is answered with the 503 its
    # document promises for that (the body is still checked against it).
    excluded: list[CheckFunction] = [not_a_server_error] if label in NO_MANAGER else []

    run()
