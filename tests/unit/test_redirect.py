"""GET /{code}: where a short link sends a browser, and what the CDN may cache."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from functions.redirect.handler import handler
from shortener.clock import now_iso, to_iso, utcnow
from shortener.models import LINK_SK, LinkModel
from tests.unit.conftest import (
    LINKS_TABLE,
    ApiAnswer,
    ApiCall,
    AwsResources,
    answer_from,
    api_event,
    assert_problem,
    new_lambda_context,
)

TARGET = "https://example.com/landing?utm=spring"


def follow(code: str) -> ApiAnswer:
    """What a browser gets for the short link (the redirect route has no authorizer)."""
    return answer_from(handler(api_event("GET", f"/{code}", owner=None), new_lambda_context()))


def shared_cache_seconds(answer: ApiAnswer) -> int:
    cache_control = answer.headers["cache-control"]
    assert "max-age=0" in cache_control, "browsers must ask again: links change"
    match = re.search(r"s-maxage=(\d+)", cache_control)
    assert match, cache_control
    return int(match.group(1))


def test_a_link_redirects_with_302_to_its_url(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    answer = follow(code)

    assert answer.status == 302
    assert answer.headers["location"] == TARGET
    assert shared_cache_seconds(answer) == 60


@pytest.mark.parametrize("redirect_type", [301, 302, 307, 308])
def test_a_link_redirects_with_its_redirect_type(api: ApiCall, redirect_type: int) -> None:
    body = {"url": TARGET, "redirect_type": redirect_type}
    code = api("POST", "/links", body=body).json()["code"]

    assert follow(code).status == redirect_type


def test_an_unknown_code_is_a_404_problem_cached_only_briefly(aws: AwsResources) -> None:
    answer = follow("Unknown")

    assert_problem(answer, 404)
    assert shared_cache_seconds(answer) <= 10


@pytest.mark.parametrize("code", ["x" * 2000, "no spaces", ""])
def test_a_code_that_cannot_exist_is_404(aws: AwsResources, code: str) -> None:
    assert_problem(follow(code), 404)


def test_an_expired_link_is_a_410_problem(aws: AwsResources) -> None:
    yesterday = to_iso(utcnow() - timedelta(days=1))
    LinkModel(
        "expired",
        LINK_SK,
        code="expired",
        owner="alice",
        url=TARGET,
        created_at=now_iso(),
        updated_at=now_iso(),
        expires_at=yesterday,
    ).save()

    answer = follow("expired")

    assert_problem(answer, 410)
    assert shared_cache_seconds(answer) <= 10


def test_the_cdn_never_keeps_a_redirect_past_the_links_expiry(api: ApiCall) -> None:
    soon = utcnow() + timedelta(seconds=20)
    body = {"url": TARGET, "expires_at": soon.isoformat()}
    code = api("POST", "/links", body=body).json()["code"]

    answer = follow(code)

    assert answer.status == 302
    assert shared_cache_seconds(answer) <= 20


def test_a_patched_link_redirects_to_its_new_url(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    api("PATCH", f"/links/{code}", body={"url": "https://example.org/moved"})

    assert follow(code).headers["location"] == "https://example.org/moved"


def test_a_deleted_link_stops_redirecting(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    api("DELETE", f"/links/{code}")

    assert_problem(follow(code), 404)


def test_when_the_table_cannot_be_read_the_answer_is_a_503_nobody_caches(
    aws: AwsResources,
) -> None:
    aws.dynamodb.delete_table(TableName=LINKS_TABLE)

    answer = follow("abc1234")

    assert_problem(answer, 503)
    assert answer.headers["cache-control"] == "no-store"
