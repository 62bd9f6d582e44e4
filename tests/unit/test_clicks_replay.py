"""A DLQ redrive: the replay queue brings back Lambda's on-failure record of a batch, and the
clicks function re-reads that batch from the stream and counts what was not counted yet."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.unit.clicks_events import CHROME, FIREFOX, SLACKBOT, kinesis_event, log_line
from tests.unit.consumer_events import failed_message_ids, sqs_message

pytest_plugins = ["tests.unit.clicks_fixtures"]

STREAM = "clicks-test"


@pytest.fixture
def stream(aws: Any) -> str:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    return str(
        kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
    )


def put(stream_arn: str, *lines: str) -> list[tuple[str, str]]:
    """Write log lines to the stream as CloudFront does: (shard id, sequence number) of each."""
    kinesis = boto3.client("kinesis")
    written = []
    for line in lines:
        answer = kinesis.put_record(StreamARN=stream_arn, Data=line.encode(), PartitionKey="edge")
        written.append((answer["ShardId"], answer["SequenceNumber"]))
    return written


def on_failure_record(stream_arn: str, shard: str, first: str, last: str, size: int) -> str:
    """The record Lambda sends a Kinesis mapping's on-failure destination (its documented shape)."""
    return json.dumps(
        {
            "requestContext": {
                "requestId": "c9b8fa9f-5a7f-4f5a-9f1c-5d1e3c7a7c11",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:clicks",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 4,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": "2026-11-26T12:05:00.000Z",
            "KinesisBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "approximateArrivalOfFirstRecord": "2026-11-26T12:00:05.123Z",
                "approximateArrivalOfLastRecord": "2026-11-26T12:00:06.456Z",
                "batchSize": size,
                "streamArn": stream_arn,
            },
        }
    )


def totals(api: Any) -> dict[str, int]:
    query = {"from": "2026-11-26", "to": "2026-11-26"}
    answer = api("GET", "/links/abc1234/clicks", query=query)
    return dict(answer.json()["totals"])


def test_a_redriven_batch_is_read_again_and_counted_once(
    clicks_consumer, link, api, stream, lambda_context
):
    link("abc1234")
    lines = [
        log_line(user_agent=FIREFOX),
        log_line(user_agent=CHROME),
        log_line(user_agent=SLACKBOT),
        log_line(user_agent=CHROME, ip="198.51.100.9"),
    ]
    before, after = log_line(user_agent=FIREFOX), log_line(user_agent=FIREFOX)
    (_, _), *batch, (_, _) = put(stream, before, *lines, after)
    shard, first = batch[0]
    last = batch[-1][1]
    # The first record of the failed batch was counted before the batch failed.
    clicks_consumer(kinesis_event(lines[0]), lambda_context)
    redrive = {"Records": [sqs_message(on_failure_record(stream, shard, first, last, 4))]}

    response = clicks_consumer(redrive, lambda_context)
    again = clicks_consumer(redrive, lambda_context)

    assert failed_message_ids(response) == failed_message_ids(again) == []
    # Exactly the batch: neither the record before it nor the one after.
    assert totals(api) == {"clicks": 3, "unique_visitors": 3, "bots": 1, "qr_scans": 0}


def test_a_message_that_is_no_on_failure_record_fails_alone(
    clicks_consumer, link, api, stream, lambda_context
):
    link("abc1234")
    ((shard, sequence_number),) = put(stream, log_line())
    good = on_failure_record(stream, shard, sequence_number, sequence_number, 1)
    event = {"Records": [sqs_message("{}"), sqs_message(good)]}

    response = clicks_consumer(event, lambda_context)

    assert failed_message_ids(response) == [event["Records"][0]["messageId"]]
    assert totals(api)["clicks"] == 1


def test_a_batch_with_a_record_that_is_no_log_line_counts_the_rest_and_stays_failed(
    clicks_consumer, link, api, stream, lambda_context
):
    link("abc1234")
    written = put(
        stream, log_line(user_agent=FIREFOX), "not a log line", log_line(user_agent=CHROME)
    )
    (shard, first), (_, last) = written[0], written[-1]
    redrive = {"Records": [sqs_message(on_failure_record(stream, shard, first, last, 3))]}

    response = clicks_consumer(redrive, lambda_context)

    assert failed_message_ids(response) == [redrive["Records"][0]["messageId"]]
    assert totals(api)["clicks"] == 2
