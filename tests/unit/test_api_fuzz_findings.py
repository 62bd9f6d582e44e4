"""What schemathesis found (issue 13), each pinned: bodies that are not UTF-8, HEAD beside GET,
a form or multipart body, the redirect's answer, the document's schemas, quiet logs."""

from __future__ import annotations

import base64
import importlib
import json
import logging
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from functions.authorizer.handler import handler as authorizer
from functions.redirect.handler import handler as redirect
from tests.unit.conftest import (
    ApiCall,
    AwsResources,
    answer_from,
    api_event,
    assert_problem,
    new_lambda_context,
    token_event,
)
from tools.openapi import openapi_document

NOT_UTF8 = b'{"url": "https://example.com/\xff"}'


def call_raw(method: str, path: str, body: bytes, **fields: Any) -> Any:
    from functions.api.handler import handler

    event = api_event(method, path, **fields)
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True  # as API Gateway passes a body that is not UTF-8
    return answer_from(handler(event, new_lambda_context()))


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/links"), ("PATCH", "/links/abc1234"), ("POST", "/webhooks")]
)
def test_a_body_that_is_not_utf8_is_a_400_problem_and_writes_nothing(
    aws: AwsResources, method: str, path: str
) -> None:
    problem = assert_problem(call_raw(method, path, NOT_UTF8), 400)

    assert "UTF-8" in problem["detail"]
    assert aws.link_items() == []


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "application/x-www-form-urlencoded"]
)
def test_a_body_that_is_not_json_is_a_415_problem(
    api: ApiCall, aws: AwsResources, content_type: str
) -> None:
    answer = api(
        "POST", "/links", body="url=https://example.com", headers={"Content-Type": content_type}
    )

    assert_problem(answer, 415)
    assert aws.link_items() == []


@pytest.mark.parametrize("path", ["/links", "/openapi.json", "/stats", "/links/nope"])
def test_head_is_get_without_the_body(api: ApiCall, path: str) -> None:
    get, head = api("GET", path), api("HEAD", path)

    assert get.text
    assert head.status == get.status
    assert head.headers == get.headers
    assert head.text == ""


def test_a_redirect_has_no_body_and_no_json_content_type(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": "https://example.com/"}).json()["code"]
    event = api_event("GET", f"/{code}", owner=None)

    answer = answer_from(redirect(event, new_lambda_context()))
    head = answer_from(redirect({**event, "httpMethod": "HEAD"}, new_lambda_context()))

    assert answer.status == 302
    assert answer.text == ""
    assert "json" not in answer.headers["content-type"]
    assert (head.status, head.headers, head.text) == (302, answer.headers, "")


def test_head_of_a_missing_code_is_its_404_without_the_body(aws: AwsResources) -> None:
    event = api_event("HEAD", "/Unknown", owner=None)

    answer = answer_from(redirect(event, new_lambda_context()))

    assert answer.status == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.text == ""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(json.loads(openapi_document()))


def test_the_document_lists_every_status_a_body_route_answers(document: dict[str, Any]) -> None:
    for path, method in [("/links", "post"), ("/links/{code}", "patch"), ("/webhooks", "post")]:
        assert {"400", "413", "415", "422"} <= set(document["paths"][path][method]["responses"])


def test_the_document_says_what_the_api_accepts(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    update = schemas["UpdateLinkRequest"]["properties"]
    assert "anyOf" not in update["url"]
    assert update["url"]["type"] == "string"
    assert "anyOf" not in update["redirect_type"]
    assert "null" in json.dumps(update["expires_at"])  # null removes the expiry
    assert schemas["WebhookSubscription"]["properties"]["events"]["uniqueItems"] is True
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)


def test_the_document_has_head_beside_every_get_and_the_redirect(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        if "get" in item:
            assert "head" in item, path
            assert all("content" not in r for r in item["head"]["responses"].values()), path
    redirect_get = document["paths"]["/{code}"]["get"]
    assert redirect_get["security"] == []
    assert "content" not in redirect_get["responses"]["302"]
    assert "Location" in redirect_get["responses"]["302"]["headers"]


def test_the_shared_code_silences_powertools_empty_metrics_warning() -> None:
    import shortener

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        importlib.reload(shortener)  # what every function's init does, importing shortener
        warnings.warn(
            "No application metrics to publish. The cold-start metric may be published",
            UserWarning,
            stacklevel=1,
        )
        warnings.warn("any other warning", UserWarning, stacklevel=1)

    assert [str(w.message) for w in caught] == ["any other warning"]


def test_a_refused_key_is_one_structured_line_without_the_key(
    api_key: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    key = api_key("alice", revoked=True)
    caplog.set_level(logging.INFO, logger="shortener")

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(token_event(f"Bearer {key}"), new_lambda_context())

    [record] = caplog.records
    assert record.getMessage() == "key refused"
    assert record.__dict__["reason"] == "revoked"
    assert record.__dict__["key_id"].startswith("key_")
    assert key not in caplog.text
    assert record.exc_info is None
