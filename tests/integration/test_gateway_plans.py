"""The gateway as the one entry point, on the local cloud: a key's plan holds (429 problems with
Retry-After past its burst and rate, while another key and the redirect go on), scopes are
refused by API Gateway itself (403 problems), and a revoked key is refused at its very next
request although the authorizer's answer for it was cached (issue 10, "Done when")."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.integration.helpers import (
    ApiClient,
    create_api_key,
    describe,
    run_ops,
    run_ops_json,
    unique,
)

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

# cdk.json's free plan.
FREE_RATE, FREE_BURST = 10, 20
BURST_REQUESTS = 200
CLIENTS = 50
PROBLEM_JSON = "application/problem+json"


def _problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, describe(response)
    assert response.headers["Content-Type"] == PROBLEM_JSON, describe(response)
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= set(problem)
    return dict(problem)


def test_a_burst_over_a_free_key_is_429_within_its_plan_while_others_go_on(
    api_url: str, aws_endpoint: str
) -> None:
    free = ApiClient(api_url, create_api_key(aws_endpoint, unique("free"), plan="free"))
    other = ApiClient(api_url, create_api_key(aws_endpoint, unique("other")))
    code = other.post("/links", json={"url": "https://example.com/gateway"}).json()["code"]
    free.get("/links")  # the authorizer's answer is cached: the burst meets the plan only
    # Every 10th task is a bystander's: another key on the same route, and the redirect.
    tasks: list[tuple[str, ApiClient, str]] = []
    for number in range(BURST_REQUESTS):
        tasks.append(("free", free, "/links"))
        if number % 10 == 0:
            tasks += [("other", other, "/links"), ("redirect", other, f"/{code}")]

    def call(task: tuple[str, ApiClient, str]) -> tuple[str, requests.Response]:
        who, client, path = task
        return who, client.request("GET", path, allow_redirects=False)

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(call, tasks))
    elapsed = time.monotonic() - started

    mine = [response for who, response in answers if who == "free"]
    passed = [response for response in mine if response.status_code == 200]
    throttled = [response for response in mine if response.status_code == 429]
    assert len(passed) + len(throttled) == BURST_REQUESTS, [describe(r) for r in mine[:3]]
    # The token bucket: the burst at once, then the rate; one token was spent warming up.
    assert len(passed) <= FREE_BURST + FREE_RATE * elapsed, (len(passed), elapsed)
    assert throttled, "a burst of 200 over a free key is throttled"
    for response in throttled:
        assert _problem(response, 429)["title"] == "Too Many Requests"
        assert response.headers["Retry-After"] == "1"
    bystanders = [(who, response.status_code) for who, response in answers if who != "free"]
    assert all(status == (200 if who == "other" else 302) for who, status in bystanders), bystanders


def test_a_links_reader_lists_links_but_may_not_create_one(api_url: str, aws_endpoint: str) -> None:
    created = run_ops_json(
        aws_endpoint, "keys", "create", "--owner", unique("reader"), "--scopes", "links:read"
    )
    reader = ApiClient(api_url, created["key"])

    assert reader.get("/links").status_code == 200
    refused = reader.post("/links", json={"url": "https://example.com/not-allowed"})
    assert _problem(refused, 403)["title"] == "Forbidden"
    _problem(reader.get("/links/abc1234/clicks"), 403)  # clicks are stats:read
    assert reader.get("/links").json()["items"] == []  # nothing was written


def test_a_revoked_key_is_401_at_its_next_request_despite_a_warm_authorizer_cache(
    api_url: str, aws_endpoint: str
) -> None:
    created = run_ops_json(aws_endpoint, "keys", "create", "--owner", unique("revoked"))
    holder = ApiClient(api_url, created["key"])
    assert holder.get("/links").status_code == 200
    assert holder.get("/links").status_code == 200  # answered from the authorizer's cache

    run_ops(aws_endpoint, "keys", "revoke", created["key_id"])

    refused = holder.get("/links")
    assert _problem(refused, 401)["title"] == "Unauthorized"
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_key_moved_to_pro_gets_pro_s_burst(api_url: str, aws_endpoint: str) -> None:
    created = run_ops_json(aws_endpoint, "keys", "create", "--owner", unique("mover"))
    run_ops(aws_endpoint, "keys", "set-plan", created["key_id"], "pro")
    mover = ApiClient(api_url, created["key"])

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _: mover.get("/links").status_code, range(3 * FREE_BURST)))

    assert statuses == [200] * (3 * FREE_BURST)


def test_the_start_up_report_says_what_of_the_gateway_is_emulated(startup_report: str) -> None:
    assert "Gateway    emulated: usage plans" in startup_report
    assert "not emulated: the account's 10,000 requests/s" in startup_report
    assert "FreeUsagePlan" in startup_report  # each plan's line says who serves it
