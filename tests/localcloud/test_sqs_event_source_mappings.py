"""The fixture's queue trigger: successes are deleted, reported failures come back after the
visibility timeout, and moto moves them to the DLQ after maxReceiveCount."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.lambda_.sqs_event_sources import (
    SqsMappingConfig,
    SqsPoller,
    failed_message_ids,
    sqs_record,
)
from localcloud.logs import LogSink
from tests.localcloud.support import eventually

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q"


@pytest.mark.integration
def test_a_reported_failure_reaches_the_dlq_while_the_others_succeed(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    sqs, dynamodb = mini_client("sqs"), mini_client("dynamodb")
    queue = mini_cloud.physical_id("WorkQueue")
    dlq = mini_cloud.physical_id("WorkDeadLetterQueue")
    results = mini_cloud.physical_id("ResultsTable")
    run = uuid.uuid4().hex
    good, poison = [f"{run}-good-{i}" for i in range(3)], f"{run}-poison"

    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "0", "MessageBody": json.dumps({"id": good[0]})},
            {"Id": "1", "MessageBody": json.dumps({"id": poison, "poison": True})},
            {"Id": "2", "MessageBody": json.dumps({"id": good[1]})},
            {"Id": "3", "MessageBody": json.dumps({"id": good[2]})},
        ],
    )

    def dead_letters() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", []))

    arrived = eventually(dead_letters, 20, "the poison message in the DLQ")
    assert [json.loads(m["Body"])["id"] for m in arrived] == [poison]
    for key in good:
        item = dynamodb.get_item(TableName=results, Key={"pk": {"S": key}}).get("Item")
        assert item is not None, f"{key} was not processed"
        assert item["receive_count"] == {"S": "1"}  # deleted after its first, successful try
    remaining = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert remaining == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=arrived[0]["ReceiptHandle"])


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, {"m2"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"m1", "m2"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"m1", "m2"}),
        ({"batchItemFailures": [{"id": "m1"}]}, {"m1", "m2"}),
        ("not an object", {"m1", "m2"}),
    ],
)
def test_batch_item_failures_follow_lambdas_rules(response: Any, failed: set[str]) -> None:
    assert failed_message_ids(response, {"m1", "m2"}) == failed


def test_sqs_records_are_shaped_like_lambdas() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "x"}},
    }

    record = sqs_record(message, QUEUE_ARN)

    assert record == {
        "messageId": "m1",
        "receiptHandle": "rh",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "messageAttributes": {
            "kind": {
                "stringValue": "x",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def test_a_failed_visibility_update_neither_ends_the_poller_nor_drops_the_batch() -> None:
    config = SqsMappingConfig("Mapping", "Fn", QUEUE_ARN, 10, 0.0, False, 1, ())
    poller = SqsPoller(config, aws=None, invoke=None, logs=LogSink(io.StringIO(), echo=False))  # type: ignore[arg-type]
    batches: list[list[dict[str, Any]]] = [[{"MessageId": "m1"}], []]
    processed: list[list[dict[str, Any]]] = []

    def collect() -> list[dict[str, Any]]:
        if len(batches) == 1:
            poller.signal_stop()
        return batches.pop(0)

    def refuse(messages: list[dict[str, Any]]) -> None:
        raise ConnectionError("the endpoint is gone")

    poller._collect = collect  # type: ignore[method-assign]
    poller._keep_visibility_current = refuse  # type: ignore[method-assign]
    poller._process = processed.append  # type: ignore[method-assign,assignment]

    poller._run()  # returns once stopped, instead of raising
    poller.stop()

    assert processed == [[{"MessageId": "m1"}]]
