"""The OpenAPI document at /docs: every route, with examples, and the bearer scheme."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.api.conftest import AUTH


def _has_example(media: dict[str, Any], components: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    schema = media.get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    if ref:
        schema = components[ref.rsplit("/", 1)[1]]
    return "examples" in schema or "example" in schema


async def test_every_route_is_documented_with_examples(anonymous: httpx.AsyncClient) -> None:
    document = (await anonymous.get("/openapi.json")).json()
    components = document["components"]["schemas"]
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert sorted(operations) == sorted(
        [
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
    )
    for label, operation in operations.items():
        assert operation.get("summary"), label
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert len(body["examples"]) >= 2, label
        for parameter in operation.get("parameters", []):
            assert parameter.get("examples") or parameter["schema"].get("examples"), (
                label,
                parameter,
            )
        for code, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json")
            if media is not None:
                assert _has_example(media, components), (label, code)
        if label.split()[1].startswith("/api"):
            assert operation["security"] == [{"token": []}], label
            assert {"401", "503"} <= set(operation["responses"]), label
    put = operations["PUT /api/accounts/{account_id}"]
    assert "Partial update" in put["description"]
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


async def test_docs_page_is_served(anonymous: httpx.AsyncClient) -> None:
    docs = await anonymous.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # No dashboard is built for these tests: / says how to build one and links here.
    root = await anonymous.get("/")
    assert root.status_code == 200 and 'href="/docs"' in root.text and "make setup" in root.text


async def test_example_bodies_are_accepted(client: httpx.AsyncClient) -> None:
    """The examples in the document work as they stand."""
    document = (await client.get("/openapi.json")).json()
    create = document["paths"]["/api/accounts"]["post"]["requestBody"]["content"]
    for example in create["application/json"]["examples"].values():
        response = await client.post("/api/accounts", json=example["value"], headers=AUTH)
        assert response.status_code == 201, response.text
    account_id = response.json()["id"]
    update = document["paths"]["/api/accounts/{account_id}"]["put"]["requestBody"]["content"]
    for name, example in update["application/json"]["examples"].items():
        response = await client.put(f"/api/accounts/{account_id}", json=example["value"])
        assert response.status_code == 200, (name, response.text)

    create = document["paths"]["/api/universe"]["post"]["requestBody"]["content"]
    for name, example in create["application/json"]["examples"].items():
        response = await client.post("/api/universe", json=example["value"])
        assert response.status_code == 201, (name, response.text)
    entry_id = response.json()["id"]
    update = document["paths"]["/api/universe/{entry_id}"]["patch"]["requestBody"]["content"]
    for name, example in update["application/json"]["examples"].items():
        response = await client.patch(f"/api/universe/{entry_id}", json=example["value"])
        assert response.status_code == 200, (name, response.text)
