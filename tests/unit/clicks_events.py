"""The inputs of the click-counting tests: log lines as CloudFront writes them to the stream,
and the Kinesis events Lambda makes of them (fixtures: tests/unit/clicks_fixtures.py)."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

LOG_FIELDS = (
    "timestamp,x-edge-request-id,c-ip,c-country,cs-method,cs-host,cs-uri-stem,cs-uri-query,"
    "sc-status,cs-user-agent,cs-referer,x-edge-result-type"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
NOON = datetime(2026, 11, 26, 12, 0, 5, 123000, tzinfo=UTC)
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"

_request_ids = itertools.count(1)
_sequence_numbers = itertools.count(49_600_000_000_000_000_000_000_000_000_000_000_000_000_000)


def log_line(
    path: str = "/abc1234",
    *,
    at: datetime = NOON,
    request_id: str | None = None,
    ip: str = "203.0.113.7",
    country: str = "DE",
    method: str = "GET",
    query: str | None = None,
    status: int = 302,
    user_agent: str | None = FIREFOX,
    referer: str | None = None,
    result_type: str = "Miss",
) -> str:
    """One real-time log record: the fields of LOG_FIELDS, in order, tab-separated."""
    values = [
        f"{at.timestamp():.3f}",
        request_id or f"req{next(_request_ids):06d}-{at.timestamp():.0f}==",
        ip,
        country or "-",
        method,
        "d111111abcdef8.cloudfront.net",
        path,
        query or "-",
        str(status),
        quote(user_agent, safe="/;:()+,") if user_agent else "-",
        quote(referer, safe="/:") if referer else "-",
        result_type,
    ]
    return "\t".join(values)


def kinesis_record(line: str | bytes, sequence_number: str | None = None) -> dict[str, Any]:
    data = line.encode() if isinstance(line, str) else line
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "d111111abcdef8",
            "sequenceNumber": sequence_number or str(next(_sequence_numbers)),
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": NOON.timestamp(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000000:0",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/clicks",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
    }


def kinesis_event(*lines: str | bytes) -> dict[str, Any]:
    return {"Records": [kinesis_record(line) for line in lines]}


def failed_sequence_numbers(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response.get("batchItemFailures", [])]
