"""moto's answers are the same after the local cloud's speed-ups (localcloud.speedups)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

Client = Callable[[str], Any]
COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


def test_queue_counts_tell_visible_in_flight_and_delayed_apart(mini_client: Client) -> None:
    sqs = mini_client("sqs")
    url = sqs.create_queue(QueueName=f"speedups-{secrets.token_hex(4)}")["QueueUrl"]
    for body in ("first", "second", "third"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)
    assert len(received["Messages"]) == 1

    asked = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=COUNTS)["Attributes"]
    every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    expected = {COUNTS[0]: "2", COUNTS[1]: "1", COUNTS[2]: "1"}
    assert asked == expected
    assert {name: every[name] for name in COUNTS} == expected
    assert every["MessageRetentionPeriod"] == "345600"  # SQS's default: four days


def test_an_unknown_attribute_is_refused_as_sqs_refuses_it(mini_client: Client) -> None:
    sqs = mini_client("sqs")
    url = sqs.create_queue(QueueName=f"speedups-{secrets.token_hex(4)}")["QueueUrl"]
    with pytest.raises(ClientError) as refused:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "Colour"])
    assert "InvalidAttributeName" in refused.value.response["Error"]["Code"]


def test_received_messages_within_retention_are_handed_out(mini_client: Client) -> None:
    sqs = mini_client("sqs")
    url = sqs.create_queue(
        QueueName=f"speedups-{secrets.token_hex(4)}", Attributes={"MessageRetentionPeriod": "60"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["fresh"]


def test_a_query_on_the_table_key_reads_its_partition_in_order(mini_client: Client) -> None:
    dynamodb = mini_client("dynamodb")
    table = f"speedups-{secrets.token_hex(4)}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk in ("a", "b", "c"):
        for sk in ("3", "1", "2"):
            dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}})

    def query(**extra: Any) -> dict[str, Any]:
        return dict(
            dynamodb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "b"}},
                **extra,
            )
        )

    def sort_keys(answer: dict[str, Any]) -> list[str]:
        return [item["sk"]["S"] for item in answer["Items"]]

    assert sort_keys(query()) == ["1", "2", "3"]
    assert sort_keys(query(ScanIndexForward=False)) == ["3", "2", "1"]
    first = query(Limit=2)
    assert sort_keys(first) == ["1", "2"]
    assert sort_keys(query(ExclusiveStartKey=first["LastEvaluatedKey"])) == ["3"]
    missing = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "z"}},
    )
    assert missing["Items"] == []
