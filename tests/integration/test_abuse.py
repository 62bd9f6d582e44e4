"""What an attacker or a careless client does to the local stack (issue 14), over HTTP as they
would: bodies that are not objects, look-alike hosts, links back at the stack by another name,
bursts of connections, oversized headers, poison messages, and operators' reads of a DLQ."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.helpers import (
    ApiClient,
    Owner,
    Stack,
    describe,
    make_owner,
    run_ops,
    run_ops_json,
    unique,
    wait_for_dead_letter,
)

pytest_plugins = ["tests.integration.fixtures"]

TARGET = "https://example.com/abuse"
HTTP_TIMEOUT = 60
BURST = 200
DEAD_LETTER_TIMEOUT = 120


@pytest.fixture(scope="module")
def victim(api_url: str, aws_endpoint: str) -> Owner:
    """An owner with one link; every refused request below must leave it the only one."""
    owner = make_owner(api_url, aws_endpoint, "abused")
    owner.api.create_link(TARGET)
    return owner


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, describe(response)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    return dict(problem)


def links_of(api: ApiClient) -> list[dict[str, Any]]:
    response = api.get("/links", params={"limit": 100})
    assert response.status_code == 200, describe(response)
    return list(response.json()["items"])


def assert_only_the_first_link(owner: Owner) -> None:
    assert [link["url"] for link in links_of(owner.api)] == [TARGET]


# --- 1. bodies that are not JSON objects --------------------------------------------------------


def test_an_array_body_creates_nothing(victim: Owner) -> None:
    body = [{"url": "https://e.com/a"}, {"url": "javascript:alert(1)"}]

    problem = assert_problem(victim.api.post("/links", json=body), 422)

    assert problem["errors"] == [{"pointer": "#", "detail": "must be an object, not an array"}]
    assert_only_the_first_link(victim)


def test_an_array_body_changes_no_link(victim: Owner) -> None:
    [link] = links_of(victim.api)

    assert_problem(victim.api.patch(f"/links/{link['code']}", json=[{"url": TARGET + "/x"}]), 422)

    assert_only_the_first_link(victim)


def test_an_array_body_subscribes_no_webhook(victim: Owner) -> None:
    body = [{"url": "https://hooks.example.com/in", "events": ["link.created"]}]

    assert_problem(victim.api.post("/webhooks", json=body), 422)

    assert victim.api.get("/webhooks").json()["items"] == []


# --- 2. look-alike and non-ASCII hosts ----------------------------------------------------------


def test_a_latin_host_with_a_cyrillic_letter_is_refused(victim: Owner) -> None:
    problem = assert_problem(
        victim.api.post("/links", json={"url": "https://ex\u0430mple.com/"}), 422
    )

    assert "mixes Cyrillic and Latin" in problem["errors"][0]["detail"]
    assert_only_the_first_link(victim)


def test_an_international_url_redirects_to_its_ascii_form(owner: Owner, api_url: str) -> None:
    created = owner.api.create_link("https://b\u00fccher.example/\u00fcber?q=caf\u00e9")

    response = requests.get(f"{api_url}/{created['code']}", allow_redirects=False, timeout=30)

    expected = "https://xn--bcher-kva.example/%C3%BCber?q=caf%C3%A9"
    assert created["url"] == expected
    assert response.status_code == 302
    assert response.headers["Location"] == expected


# --- 3. links back at the stack -----------------------------------------------------------------


def _self_references(local_cloud: Any, stack: Stack) -> list[str]:
    api_port = urlsplit(local_cloud.api_url).port
    ports = {api_port, urlsplit(stack.output("ShortBaseUrl")).port}
    urls = [
        f"http://{host}:{port}/x"
        for port in sorted(p for p in ports if p)
        for host in ("localhost", "[::1]", "127.1", "0x7f.0.0.1", "2130706433", "0")
    ]
    api_id = local_cloud.physical_id("Api")
    return [
        *urls,
        f"https://{stack.output('DistributionDomainName')}/x",
        f"https://{api_id}.execute-api.us-east-1.amazonaws.com/dev/links",
    ]


def test_no_link_may_point_back_at_the_stack_by_any_name(
    victim: Owner, local_cloud: Any, stack: Stack
) -> None:
    refused = {}
    for url in _self_references(local_cloud, stack):
        response = victim.api.post("/links", json={"url": url})
        refused[url] = response.status_code

    assert set(refused.values()) == {422}, refused
    assert_only_the_first_link(victim)


# --- 4. bursts ----------------------------------------------------------------------------------


def burst(url: str, count: int) -> list[int | str]:
    """`count` clients sending at the same moment, each on its own connection."""
    start = threading.Barrier(count)

    def one(_: int) -> int | str:
        start.wait(HTTP_TIMEOUT)
        try:
            with requests.Session() as session:
                response = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
            return response.status_code
        except requests.RequestException as error:
            return f"{type(error).__name__}: {error}"

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def _served_endpoints(local_cloud: Any) -> list[str]:
    return [url for url in (local_cloud.api_url, getattr(local_cloud, "cdn_url", "")) if url]


def test_a_burst_of_200_requests_meets_no_connection_error(victim: Owner, local_cloud: Any) -> None:
    [link] = links_of(victim.api)

    for base in _served_endpoints(local_cloud):
        outcomes = burst(f"{base}/{link['code']}", BURST)

        errors = [outcome for outcome in outcomes if isinstance(outcome, str)]
        assert errors == [], f"{base}: {len(errors)} of {BURST}: {errors[:3]}"
        assert set(outcomes) <= {301, 302, 307, 308}, (base, set(outcomes))


# --- 6. oversized headers -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [16 * 1024, 64 * 1024, 70_000])
def test_an_oversized_authorization_header_is_a_413_problem(api_url: str, size: int) -> None:
    headers = {"Authorization": "Bearer " + "a" * size, "Connection": "close"}

    response = requests.get(f"{api_url}/links", headers=headers, timeout=HTTP_TIMEOUT)

    problem = assert_problem(response, 413)
    assert "10240 bytes" in problem["detail"]


# --- 7 and 8. poison messages, and what operators see of them -----------------------------------


def _function_logical_id(stack: Stack, hint: str) -> str:
    return stack.resource("AWS::Lambda::Function", hint).logical_id


def _receive_count(stack: Stack, queue_url: str, body: str) -> int:
    """ApproximateReceiveCount as the next receive sees it (this read included)."""
    dead = wait_for_dead_letter(stack.sqs, queue_url, body, DEAD_LETTER_TIMEOUT)
    return int(dead["Attributes"]["ApproximateReceiveCount"])


@pytest.mark.parametrize(
    ("queue", "function"), [("StatsQueue", "StatsFunction"), ("DeliveryQueue", "WebhookDeliver")]
)
def test_a_poison_message_is_logged_failed_alone_and_dead_lettered_without_a_function_error(
    local_cloud: Any,
    stack: Stack,
    quick_redelivery: Callable[[str], str],
    aws_endpoint: str,
    queue: str,
    function: str,
) -> None:
    queue_url = quick_redelivery(queue)
    dead_letters = stack.dlq_url(queue)
    logical_id = _function_logical_id(stack, function)
    body = f"not a message: {unique('poison')}"
    message_id = stack.sqs.send_message(QueueUrl=queue_url, MessageBody=body)["MessageId"]

    wait_for_dead_letter(stack.sqs, dead_letters, body, DEAD_LETTER_TIMEOUT)

    logged = [
        json.loads(line[line.index("{") :])
        for line in local_cloud.log_lines(logical_id)
        if message_id in line and "unreadable message" in line
    ]
    assert logged, f"no 'unreadable message' line for {message_id}"
    assert {record["message_id"] for record in logged} == {message_id}
    failed = [report for report in local_cloud.invocation_reports(logical_id) if report.error_type]
    assert failed == []

    # Operators look: `dlq list` twice, then `peek` once, and the count moves by the peek alone.
    before = _receive_count(stack, dead_letters, body)
    listed = run_ops_json(aws_endpoint, "dlq", "list")
    run_ops(aws_endpoint, "dlq", "list")
    [row] = [row for row in listed if row["dlq"] == dead_letters.rsplit("/", 1)[-1]]
    assert row["depth"] >= 1
    assert row["oldest_age_s"] is None  # no CloudWatch metric locally: unknown, not sampled
    peeked = run_ops(aws_endpoint, "dlq", "peek", row["alias"], "--json")
    assert "ApproximateReceiveCount" in peeked.stderr
    assert _receive_count(stack, dead_letters, body) == before + 2  # our two reads, no more

    # The DLQ is shared with the other tests, which read every message in it as an event.
    dead = wait_for_dead_letter(stack.sqs, dead_letters, body, DEAD_LETTER_TIMEOUT)
    stack.sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=dead["ReceiptHandle"])
