"""POST /links: what a caller gets back, what is refused, and that a refusal writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from shortener.clock import to_iso, utcnow
from shortener.links import codes
from tests.api_contract import LINK_FIELDS
from tests.unit.conftest import (
    API_DOMAIN,
    SHORT_BASE_URL,
    ApiCall,
    AwsResources,
    assert_problem,
)

TARGET = "https://example.com/a/very/long/path?campaign=spring"


def test_create_answers_201_with_location_and_the_link(api: ApiCall) -> None:
    answer = api("POST", "/links", body={"url": TARGET})

    assert answer.status == 201
    link = answer.json()
    assert set(link) == LINK_FIELDS
    assert re.fullmatch(r"[A-Za-z0-9]{7}", link["code"])
    # Absolute, under the short base URL: it resolves the same through any API URL or stage.
    assert answer.headers["location"] == f"{SHORT_BASE_URL}/links/{link['code']}"
    assert link["short_url"] == f"{SHORT_BASE_URL}/{link['code']}"
    assert link["url"] == TARGET
    assert link["redirect_type"] == 302
    assert link["expires_at"] is None
    assert link["created_at"] == link["updated_at"]
    assert link["qr"] == {"status": "pending", "href": f"/links/{link['code']}/qr"}


def test_create_stores_the_link_for_its_owner(api: ApiCall, aws: AwsResources) -> None:
    code = api("POST", "/links", body={"url": TARGET}, owner="alice").json()["code"]

    [item] = aws.link_items()
    assert item["pk"]["S"] == code
    assert item["owner"]["S"] == "alice"
    assert item["url"]["S"] == TARGET


def test_an_alias_becomes_the_code(api: ApiCall) -> None:
    answer = api("POST", "/links", body={"url": TARGET, "alias": "spring-sale"})

    assert answer.status == 201
    assert answer.json()["code"] == "spring-sale"
    assert answer.headers["location"] == f"{SHORT_BASE_URL}/links/spring-sale"


def test_a_taken_alias_is_409_and_the_first_link_stays(api: ApiCall, aws: AwsResources) -> None:
    api("POST", "/links", body={"url": TARGET, "alias": "spring-sale"}, owner="alice")

    answer = api(
        "POST", "/links", body={"url": "https://evil.example/", "alias": "spring-sale"}, owner="bob"
    )

    assert_problem(answer, 409)
    [item] = aws.link_items()
    assert (item["owner"]["S"], item["url"]["S"]) == ("alice", TARGET)


def test_expiry_and_redirect_type_are_kept(api: ApiCall) -> None:
    expires = utcnow() + timedelta(days=30)
    body = {"url": TARGET, "expires_at": expires.isoformat(), "redirect_type": 308}

    link = api("POST", "/links", body=body).json()

    assert link["expires_at"] == to_iso(expires)
    assert link["redirect_type"] == 308


def test_an_expiry_in_another_zone_is_stored_in_utc(api: ApiCall) -> None:
    link = api(
        "POST", "/links", body={"url": TARGET, "expires_at": "2999-01-01T12:00:00+02:00"}
    ).json()

    assert link["expires_at"] == "2999-01-01T10:00:00.000000Z"


def test_a_url_of_exactly_2048_characters_is_accepted(api: ApiCall) -> None:
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))

    assert api("POST", "/links", body={"url": url}).status == 201


def test_a_generated_code_that_collides_is_drawn_again(
    api: ApiCall, aws: AwsResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    api("POST", "/links", body={"url": TARGET, "alias": "Taken01"})
    drawn = iter(["Taken01", "Fresh01"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))

    answer = api("POST", "/links", body={"url": "https://example.org/other"})

    assert answer.json()["code"] == "Fresh01"
    urls = {item["pk"]["S"]: item["url"]["S"] for item in aws.link_items()}
    assert urls == {"Taken01": TARGET, "Fresh01": "https://example.org/other"}


def test_when_every_draw_collides_the_caller_is_asked_to_retry(
    api: ApiCall, aws: AwsResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    api("POST", "/links", body={"url": TARGET, "alias": "Taken01"})
    monkeypatch.setattr(codes, "new_code", lambda: "Taken01")

    assert_problem(api("POST", "/links", body={"url": "https://example.org/other"}), 503)
    assert len(aws.link_items()) == 1


# --------------------------------------------------------------------------- refused input

LONG_URL = "https://example.com/" + "a" * (2049 - len("https://example.com/"))
PAST = "2020-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": "javascript:alert(1)"}, "#/url"),
        ({"url": "ftp://example.com/file.txt"}, "#/url"),
        ({"url": "/relative/path"}, "#/url"),
        ({"url": "https://"}, "#/url"),
        ({"url": 42}, "#/url"),
        ({}, "#/url"),
        ({"url": LONG_URL}, "#/url"),
        ({"url": f"{SHORT_BASE_URL}/abc1234"}, "#/url"),
        ({"url": "https://SHO.RT./loop"}, "#/url"),
        ({"url": f"https://{API_DOMAIN}/dev/links"}, "#/url"),
        ({"url": TARGET, "alias": "links"}, "#/alias"),
        ({"url": TARGET, "alias": "Webhooks"}, "#/alias"),
        ({"url": TARGET, "alias": "stats"}, "#/alias"),
        ({"url": TARGET, "alias": "ab"}, "#/alias"),
        ({"url": TARGET, "alias": "no spaces"}, "#/alias"),
        ({"url": TARGET, "alias": "openapi.json"}, "#/alias"),
        ({"url": TARGET, "alias": "x" * 65}, "#/alias"),
        ({"url": TARGET, "expires_at": PAST}, "#/expires_at"),
        ({"url": TARGET, "expires_at": "2999-01-01T00:00:00"}, "#/expires_at"),
        ({"url": TARGET, "expires_at": "next tuesday"}, "#/expires_at"),
        ({"url": TARGET, "expires_at": 32503680000}, "#/expires_at"),
        # In the future, but past the year 9999 once written in UTC.
        ({"url": TARGET, "expires_at": "9999-12-31T23:59:59-05:00"}, "#/expires_at"),
        ({"url": TARGET, "redirect_type": 303}, "#/redirect_type"),
        ({"url": TARGET, "redirect_type": "302"}, "#/redirect_type"),
        ({"url": TARGET, "owner": "mallory"}, "#/owner"),
    ],
)
def test_invalid_bodies_are_422_problems_naming_the_field_and_write_nothing(
    api: ApiCall, aws: AwsResources, body: dict[str, Any], pointer: str
) -> None:
    problem = assert_problem(api("POST", "/links", body=body), 422)

    assert pointer in [error.get("pointer") for error in problem["errors"]]
    assert aws.link_items() == []


@pytest.mark.parametrize(
    "text",
    [
        '{"url": "https://example.com"',
        "not json",
        "",
        # JSON that Python's parser still refuses: too many digits, too deep to recurse into.
        '{"url": "https://example.com", "redirect_type": ' + "3" * 5000 + "}",
        "[" * 20000 + "]" * 20000,
    ],
    ids=["truncated", "not-json", "empty", "long-number", "deep-nesting"],
)
def test_a_body_that_is_not_json_is_400_or_422_and_writes_nothing(
    api: ApiCall, aws: AwsResources, text: str
) -> None:
    answer = api("POST", "/links", body=text)

    # An empty body is valid JSON of nothing: the url is missing (422); the rest is 400.
    assert_problem(answer, 422 if text == "" else 400)
    assert aws.link_items() == []


def test_a_malformed_host_header_is_not_a_500(api: ApiCall) -> None:
    answer = api("POST", "/links", body={"url": TARGET}, headers={"Host": "[not-a-host"})

    assert answer.status == 201


def test_a_body_that_is_not_an_object_is_422(api: ApiCall) -> None:
    assert_problem(api("POST", "/links", body='["https://example.com"]'), 422)


def test_a_body_over_64_kib_is_413_and_writes_nothing(api: ApiCall, aws: AwsResources) -> None:
    body = {"url": TARGET, "alias": "padded", "padding": "x" * (64 * 1024)}

    assert_problem(api("POST", "/links", body=body), 413)
    assert aws.link_items() == []


def test_a_body_that_is_not_json_content_is_415(api: ApiCall) -> None:
    answer = api("POST", "/links", body=f"url={TARGET}", headers={"Content-Type": "text/plain"})

    assert_problem(answer, 415)


# ----------------------------------------------------------------------------- idempotency


def test_a_retry_with_the_same_idempotency_key_returns_the_first_link(
    api: ApiCall, aws: AwsResources
) -> None:
    headers = {"Idempotency-Key": "order-4711"}
    first = api("POST", "/links", body={"url": TARGET}, headers=headers)
    retry = api("POST", "/links", body={"url": TARGET}, headers=headers)

    assert (first.status, retry.status) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert len(aws.link_items()) == 1


def test_the_same_idempotency_key_with_another_body_is_422(api: ApiCall, aws: AwsResources) -> None:
    headers = {"Idempotency-Key": "order-4711"}
    api("POST", "/links", body={"url": TARGET}, headers=headers)

    answer = api("POST", "/links", body={"url": "https://example.org/"}, headers=headers)

    assert assert_problem(answer, 422)["type"].endswith("/idempotency-key-reused")
    assert len(aws.link_items()) == 1


def test_idempotency_keys_belong_to_their_owner(api: ApiCall, aws: AwsResources) -> None:
    headers = {"Idempotency-Key": "same-key"}
    alices = api("POST", "/links", body={"url": TARGET}, headers=headers, owner="alice")
    bobs = api("POST", "/links", body={"url": TARGET}, headers=headers, owner="bob")

    assert alices.json()["code"] != bobs.json()["code"]
    assert len(aws.link_items()) == 2


def test_a_refused_request_does_not_use_up_its_idempotency_key(api: ApiCall) -> None:
    headers = {"Idempotency-Key": "try-again"}
    api("POST", "/links", body={"url": TARGET, "alias": "taken"}, owner="bob")
    refused = api("POST", "/links", body={"url": TARGET, "alias": "taken"}, headers=headers)

    retried = api("POST", "/links", body={"url": TARGET, "alias": "free"}, headers=headers)

    assert (refused.status, retried.status) == (409, 201)
