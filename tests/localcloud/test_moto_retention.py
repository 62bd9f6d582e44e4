"""A long session stays the size of its data: what moto would keep forever is let go, and the
AWS behaviour that relied on it (transaction rollback, double deletes, moto's data view) holds."""

from __future__ import annotations

import gc
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord, Table

from localcloud import LocalCloud
from localcloud.retention.sqs import RecentReceipts

Client = Callable[[str], Any]


def _live(model: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is model)


@pytest.fixture
def streamed_table(mini_client: Client) -> str:
    """A table of its own with a stream (no pipe of the fixture stack reads it)."""
    name = f"retention-{secrets.token_hex(4)}"
    mini_client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def _stream_records(client: Client, table: str) -> list[dict[str, Any]]:
    arn = client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def _counter_transaction(table: str, pk: str, *, fail_on: str | None = None) -> list[Any]:
    """Add 1 to a counter and write a marker; with `fail_on`, a condition that cannot hold."""
    writes: list[Any] = [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": pk}},
                "UpdateExpression": "ADD hits :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Put": {"TableName": table, "Item": {"pk": {"S": f"{pk}#marker"}}}},
    ]
    if fail_on:
        writes.append(
            {
                "ConditionCheck": {
                    "TableName": table,
                    "Key": {"pk": {"S": fail_on}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        )
    return writes


def test_transactions_leave_no_table_copies_behind(
    mini_client: Client, streamed_table: str
) -> None:
    dynamodb = mini_client("dynamodb")
    for i in range(50):
        dynamodb.put_item(TableName=streamed_table, Item={"pk": {"S": f"filler-{i}"}})
    tables_before, records_before, items_before = _live(Table), _live(StreamRecord), _live(Item)
    streamed_before = len(_stream_records(mini_client, streamed_table))
    for i in range(60):
        dynamodb.transact_write_items(TransactItems=_counter_transaction(streamed_table, f"c{i}"))
    # 60 transactions on a 50-item table: moto alone would keep 60 copies of it, each with
    # its items and stream records; only the records the stream itself holds may be added.
    streamed = len(_stream_records(mini_client, streamed_table)) - streamed_before
    assert _live(Table) == tables_before
    assert _live(StreamRecord) - records_before <= streamed
    assert _live(Item) - items_before <= 2 * 60 + 20  # a counter and a marker each


def test_a_cancelled_transaction_changes_nothing(mini_client: Client, streamed_table: str) -> None:
    dynamodb = mini_client("dynamodb")
    dynamodb.transact_write_items(TransactItems=_counter_transaction(streamed_table, "kept"))
    records = len(_stream_records(mini_client, streamed_table))

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=_counter_transaction(streamed_table, "kept", fail_on="missing")
        )

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    counter = dynamodb.get_item(TableName=streamed_table, Key={"pk": {"S": "kept"}})["Item"]
    assert counter["hits"] == {"N": "1"}  # the in-place update was undone
    scan = dynamodb.scan(TableName=streamed_table)["Items"]
    assert sorted(item["pk"]["S"] for item in scan) == ["kept", "kept#marker"]
    assert len(_stream_records(mini_client, streamed_table)) == records  # no record of it


def test_a_cancelled_transaction_removes_the_items_it_created(
    mini_client: Client, streamed_table: str
) -> None:
    dynamodb = mini_client("dynamodb")
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=_counter_transaction(streamed_table, "new", fail_on="missing")
        )
    assert dynamodb.scan(TableName=streamed_table)["Items"] == []
    assert _stream_records(mini_client, streamed_table) == []


def test_a_message_deleted_twice_is_still_deleted_once(mini_client: Client) -> None:
    sqs = mini_client("sqs")
    url = sqs.create_queue(QueueName=f"retention-{secrets.token_hex(4)}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="once")
    message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # SQS: deleting with a receipt handle of a message already deleted succeeds.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_deleted_receipts_are_kept_for_the_latest_deletions_only() -> None:
    receipts = RecentReceipts(limit=3)
    receipts.update(["a", "b", None])
    receipts.add("c")
    receipts.add("d")
    assert list(receipts) == ["b", "c", "d"]
    assert "a" not in receipts
    assert "d" in receipts


def test_motos_data_view_still_lists_what_the_backends_hold(
    mini_cloud: LocalCloud, mini_client: Client
) -> None:
    sender = f"retention-{secrets.token_hex(3)}@example.com"
    ses = mini_client("ses")
    ses.verify_email_identity(EmailAddress=sender)
    ses.send_email(
        Source=sender,
        Destination={"ToAddresses": ["reader@example.com"]},
        Message={"Subject": {"Data": "kept"}, "Body": {"Text": {"Data": "still listed"}}},
    )
    gc.collect()
    data = requests.get(f"{mini_cloud.aws_endpoint}/moto-api/data.json", timeout=30).json()
    sources = [message.get("source") for message in data["ses"]["Message"]]
    assert sender in sources
