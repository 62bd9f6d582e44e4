"""The fixture's pipe: table stream -> filter (sk = "item") -> enrichment -> bus -> rule ->
queue; and a batch its enrichment cannot handle goes to the pipe's dead-letter queue."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.lambda_.workers import Invocation
from localcloud.logs import LogSink
from localcloud.pipes.input_templates import json_path, render_input_template
from localcloud.pipes.pipe import PipeConfig, PipeRunner, stream_record
from tests.localcloud.support import eventually

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-01-01T00:00:00.000"


def receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    return list(
        sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
    )


@pytest.mark.integration
def test_only_records_passing_the_filter_reach_the_target(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    dynamodb, sqs = mini_client("dynamodb"), mini_client("sqs")
    table = mini_cloud.physical_id("ItemsTable")
    target = mini_cloud.physical_id("PipeTargetQueue")
    key = uuid.uuid4().hex
    # Written first, filtered out: a record the pipe must drop.
    dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "sk": {"S": "other"}})
    dynamodb.put_item(
        TableName=table, Item={"pk": {"S": key}, "sk": {"S": "item"}, "name": {"S": "kept"}}
    )

    messages = eventually(lambda: receive_all(sqs, target), 10, "the pipe's event on the queue")
    # The stream is ordered: once the later record arrived, the earlier one was handled too.
    messages += receive_all(sqs, target)
    events = [json.loads(m["Body"]) for m in messages]
    assert [e["detail"]["pk"] for e in events] == [key]
    event = events[0]
    assert event["source"] == "mini.items"
    assert event["detail-type"] == "item.insert"  # DetailType "$.type" read from the detail
    assert event["detail"]["name"] == "kept"
    for message in messages:
        sqs.delete_message(QueueUrl=target, ReceiptHandle=message["ReceiptHandle"])


@pytest.mark.integration
def test_a_batch_the_enrichment_fails_goes_to_the_pipe_dlq(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    dynamodb, sqs = mini_client("dynamodb"), mini_client("sqs")
    table = mini_cloud.physical_id("ItemsTable")
    dlq = mini_cloud.physical_id("PipeDeadLetterQueue")
    key = uuid.uuid4().hex

    dynamodb.put_item(
        TableName=table, Item={"pk": {"S": key}, "sk": {"S": "item"}, "name": {"S": "explode"}}
    )

    messages = eventually(lambda: receive_all(sqs, dlq), 15, "the batch on the pipe's DLQ")
    failure = json.loads(messages[0]["Body"])
    assert failure["context"]["condition"] == "RetryAttemptsExhausted"
    assert failure["context"]["partnerResourceArn"].endswith(
        ":pipe/" + mini_cloud.physical_id("ItemsPipe")
    )
    batch = failure["DDBStreamBatchInfo"]
    assert batch["batchSize"] == 1
    assert (
        batch["streamArn"] == mini_cloud.provisioned["ItemsTable"].outcome.attributes["StreamArn"]
    )
    # MaximumRetryAttempts 1: the first attempt and one retry.
    attempts = [
        r for r in mini_cloud.invocation_reports("EnrichFunction") if r.error_type == "RuntimeError"
    ]
    assert len(attempts) == 2
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=messages[0]["ReceiptHandle"])


def test_stream_records_are_shaped_like_lambdas() -> None:
    raw = {
        "eventID": "e1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
            "Keys": {"pk": {"S": "a"}},
            "NewImage": {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"}},
            "SequenceNumber": "100",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }

    record = stream_record(raw, STREAM_ARN)

    assert record["eventSourceARN"] == STREAM_ARN
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1767225600
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert record["eventName"] == "INSERT"


def test_input_templates_and_dynamic_paths() -> None:
    event = {"type": "item.insert", "detail": {"id": "x1", "tags": ["a", "b"]}}

    assert json_path(event, "$.detail.tags[1]") == "b"
    assert json_path(event, "$.missing.path") is None
    rendered = render_input_template(
        '{"kind": "<$.type>", "tags": <$.detail.tags>, "pipe": "<aws.pipes.pipe-name>"}',
        event,
        {"aws.pipes.pipe-name": "P"},
    )
    assert rendered == {"kind": "item.insert", "tags": ["a", "b"], "pipe": "P"}


def offline_pipe(invoke: Any = None, **overrides: Any) -> PipeRunner:
    """A pipe with no stream or bus behind it, for driving its steps directly."""
    settings: dict[str, Any] = {
        "logical_id": "P",
        "name": "P",
        "arn": "arn:aws:pipes:us-east-1:123456789012:pipe/P",
        "stream_arn": STREAM_ARN,
        "starting_position": "TRIM_HORIZON",
        "batch_size": 10,
        "batching_window_seconds": 0.0,
        "max_retry_attempts": 0,
        "max_record_age_seconds": -1,
        "dead_letter_arn": None,
        "filters": (),
        "enrichment": "Enrich",
        "enrichment_template": None,
        "target_arn": "arn:aws:events:us-east-1:123456789012:event-bus/b",
        "bus_parameters": {},
        "target_template": None,
        **overrides,
    }
    logs = LogSink(io.StringIO(), echo=False)
    return PipeRunner(PipeConfig(**settings), aws=None, invoke=invoke, logs=logs, poll_interval=0)  # type: ignore[arg-type]


def record(sequence_number: str) -> dict[str, Any]:
    return {"dynamodb": {"SequenceNumber": sequence_number, "ApproximateCreationDateTime": 1}}


def test_records_read_before_a_failed_read_are_delivered_not_skipped() -> None:
    pipe = offline_pipe(batching_window_seconds=60.0)
    reads: list[Any] = [[record("1")], ConnectionError("the stream is gone")]

    def read(shard_id: str, limit: int) -> list[dict[str, Any]]:
        answer = reads.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    pipe._read = read  # type: ignore[method-assign]

    assert pipe._next_batch("shard-1") == [record("1")]


def test_a_batch_failing_because_the_cloud_stops_is_not_dead_lettered() -> None:
    def invoke(function: str, event: Any) -> Invocation:
        pipe.signal_stop()  # as LocalCloud.stop() does before it stops the functions
        raise RuntimeError("the local cloud is stopping")

    pipe = offline_pipe(invoke)

    pipe._deliver("shard-1", [record("1")])

    assert pipe.batches_dead_lettered == 0
    assert pipe.batches_delivered == 0
