"""The OpenAPI document: generated from the code, served by the API, committed without drift."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.conftest import ApiCall
from tools.openapi import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_api_serves_its_openapi_document_without_a_key(api: ApiCall) -> None:
    answer = api("GET", "/openapi.json", owner=None)

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert document["info"]["title"] == "Shortener API"
    assert document["openapi"].startswith("3.")
    assert {"post", "get"} <= set(document["paths"]["/links"])
    assert {"get", "patch", "delete"} <= set(document["paths"]["/links/{code}"])


def test_the_document_describes_errors_as_problems(api: ApiCall) -> None:
    create = api("GET", "/openapi.json", owner=None).json()["paths"]["/links"]["post"]

    assert "201" in create["responses"]
    for status in ("400", "409", "413", "422"):
        assert list(create["responses"][status]["content"]) == ["application/problem+json"]


def test_the_committed_document_is_the_generated_one() -> None:
    committed = json.loads(COMMITTED.read_text())

    assert committed == json.loads(openapi_document()), (
        "docs/openapi.json is stale: run `make openapi` and commit the result"
    )


def test_every_management_operation_lists_the_gateway_s_403_and_429() -> None:
    document = json.loads(openapi_document())
    public = {"/openapi.json", "/docs", "/{code}"}
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        if path not in public and not path.startswith("/docs/")
        for method, operation in item.items()
    ]

    assert len(operations) >= 19
    for path, method, operation in operations:
        for status in ("401", "403", "429"):
            response = operation["responses"].get(status)
            assert response, f"{method.upper()} {path} does not list {status}"
            if method != "head":  # HEAD answers no body
                assert list(response["content"]) == ["application/problem+json"]
        assert "Retry-After" in operation["responses"]["429"]["headers"]
