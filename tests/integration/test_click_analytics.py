"""Click analytics on the local stack, checked as a new user would: browser clicks on a short
URL through the CDN (cache misses and hits), bots, a HEAD and a QR scan show up in
`GET /links/{code}/clicks` as people, bots, visitors and scans; a redrive of the same log
records changes no count; another owner gets 404."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.integration.helpers import (
    Owner,
    Stack,
    describe,
    make_owner,
    today,
    wait_for_drain,
    wait_until,
)

pytest_plugins = ["tests.integration.fixtures"]

COUNTED_TIMEOUT = 60  # seconds: log record -> stream -> clicks function -> counters
TARGET = "https://example.com/clicked"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
PEOPLE = [FIREFOX, FIREFOX, FIREFOX, CHROME, CHROME, IPHONE]
BOTS = [
    ("GET", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
    ("GET", "curl/8.5.0"),
    ("HEAD", FIREFOX),
]
EVERYTHING = {"clicks": 7, "unique_visitors": 3, "bots": 3, "qr_scans": 1}


def visit(url: str, user_agent: str, method: str = "GET") -> requests.Response:
    answer = requests.request(
        method, url, headers={"User-Agent": user_agent}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, describe(answer)
    assert answer.headers["Location"] == TARGET
    return answer


def clicks(owner: Owner, code: str, **query: str) -> requests.Response:
    return owner.api.get(f"/links/{code}/clicks", params={"from": today(), **query})


def totals(owner: Owner, code: str) -> dict[str, int]:
    answer = clicks(owner, code)
    assert answer.status_code == 200, describe(answer)
    return dict(answer.json()["totals"])


@pytest.fixture(scope="module")
def clicked(api_url: str, aws_endpoint: str, cdn_url: str) -> tuple[Owner, str]:
    """A link of its own owner's, clicked through the CDN by people, bots and a QR code, and
    counted."""
    owner = make_owner(api_url, aws_endpoint, "clicks")
    link = owner.api.create_link(TARGET)
    url = link["short_url"]
    assert url.startswith(cdn_url)
    cache = [visit(url, user_agent).headers["X-Cache"] for user_agent in PEOPLE]
    # The QR image's URL: the query is no part of the cache key and never reaches the target.
    scan = visit(f"{url}?qr=1", IPHONE)
    assert scan.headers["X-Cache"] == "Hit from cloudfront"
    for method, user_agent in BOTS:
        visit(url, user_agent, method)
    assert cache[0] == "Miss from cloudfront"
    assert "Hit from cloudfront" in cache[1:], "some clicks are cache hits, counted all the same"

    wait_until(
        lambda: sum(totals(owner, link["code"]).values()) >= 14,
        COUNTED_TIMEOUT,
        interval=0.5,
        what="the clicks to be counted",
    )
    return owner, link["code"]


def test_people_bots_visitors_and_the_qr_scan_are_counted_apart(
    clicked: tuple[Owner, str],
) -> None:
    owner, code = clicked
    body = clicks(owner, code).json()

    assert body["totals"] == EVERYTHING
    assert body["series"][-1] == {"start": today(), **EVERYTHING}
    stats = owner.api.stats_for(today())
    assert stats is not None
    assert stats["clicks"] == 7


def test_group_by_browser_breaks_the_clicks_down(clicked: tuple[Owner, str]) -> None:
    owner, code = clicked
    answer = clicks(owner, code, group_by="browser")

    assert answer.status_code == 200, describe(answer)
    breakdown = [(entry["key"], entry["clicks"]) for entry in answer.json()["breakdown"]]
    # Most first, ties by name.
    assert breakdown == [("Firefox", 3), ("Chrome", 2), ("Mobile Safari", 2)]


def test_another_owner_gets_404(
    clicked: tuple[Owner, str], new_owner: Callable[..., Owner]
) -> None:
    _, code = clicked
    answer = clicks(new_owner("stranger"), code)

    assert answer.status_code == 404, describe(answer)
    assert answer.headers["Content-Type"] == "application/problem+json"


def _records_of(kinesis: Any, stream: str, code: str) -> dict[str, list[str]]:
    """The sequence numbers of the stream's records of `code`, by shard."""
    found: dict[str, list[str]] = {}
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        shard_id = shard["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                fields = record["Data"].decode().rstrip("\n").split("\t")
                if any(f == f"/{code}" or f.startswith(f"/{code}?") for f in fields):
                    found.setdefault(shard_id, []).append(record["SequenceNumber"])
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    return found


def test_a_redrive_of_the_same_records_changes_no_count(
    clicked: tuple[Owner, str], stack: Stack, aws_client: Callable[[str], Any], local_cloud: Any
) -> None:
    owner, code = clicked
    kinesis, sqs = aws_client("kinesis"), aws_client("sqs")
    stream = stack.output("ClicksStreamName")
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    records = _records_of(kinesis, stream, code)
    assert sum(len(numbers) for numbers in records.values()) == 10
    replay_queue = stack.queue_url("ClicksReplayQueue")
    starts = {(shard_id, min(numbers, key=int)) for shard_id, numbers in records.items()}

    # What a redrive of the clicks DLQ hands the function: Lambda's on-failure record of a batch.
    for shard_id, numbers in records.items():
        failure = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": f"{today()}T00:00:00.000Z",
            "KinesisBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": min(numbers, key=int),
                "endSequenceNumber": max(numbers, key=int),
                "batchSize": len(numbers),
                "streamArn": stream_arn,
            },
        }
        sqs.send_message(QueueUrl=replay_queue, MessageBody=json.dumps(failure))
    wait_for_drain(sqs, [replay_queue], COUNTED_TIMEOUT)

    replayed = [
        json.loads(line[line.index("{") :])
        for line in local_cloud.log_lines("ClicksFunction")
        if "replayed a failed batch" in line
    ]
    mine = [entry for entry in replayed if (entry["shard"], entry["first"]) in starts]
    assert len(mine) == len(starts), replayed
    assert sum(entry["records"] for entry in mine) >= 10, "the batches were read again"
    assert sum(entry["already_counted"] for entry in mine) >= 10
    assert totals(owner, code) == EVERYTHING
