"""A Kinesis mapping's error handling, as Lambda's: bisection that spends no retry, bounded
retries, partial batch responses that checkpoint the shard, the maximum record age, and the
on-failure record that says where the batch is. (The served path, CDN to stream to function to
DLQ, is in test_cloudfront_realtime_logs.py.)"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from localcloud.lambda_.kinesis_event_sources import (
    KinesisMappingConfig,
    KinesisPoller,
    failed_sequence_numbers,
    kinesis_record,
)
from localcloud.lambda_.workers import Invocation
from localcloud.logs import LogSink

STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
DLQ = "arn:aws:sqs:us-east-1:123456789012:clicks-dlq"
SHARD = "shardId-000000000002"


def _config(**changes: Any) -> KinesisMappingConfig:
    values: dict[str, Any] = {
        "logical_id": "Mapping",
        "function": "ClicksFunction",
        "function_name": "clicks",
        "stream_arn": STREAM,
        "starting_position": "TRIM_HORIZON",
        "starting_timestamp": None,
        "batch_size": 100,
        "batching_window_seconds": 0,
        "bisect_on_error": True,
        "max_retry_attempts": 0,
        "max_record_age_seconds": 3600,
        "report_batch_item_failures": True,
        "on_failure_arn": DLQ,
        "role_arn": "arn:aws:iam::123456789012:role/clicks",
    }
    return KinesisMappingConfig(**{**values, **changes})


def _records(config: KinesisMappingConfig, *texts: str, age: float = 0) -> list[dict[str, Any]]:
    arrival = time.time() - age
    return [
        kinesis_record(
            {
                "Data": text.encode(),
                "PartitionKey": "k",
                "SequenceNumber": str(number),
                "ApproximateArrivalTimestamp": arrival,
            },
            SHARD,
            config,
        )
        for number, text in enumerate(texts, start=1)
    ]


class _Queue:
    """The on-failure destination, as the mapping's SQS client sees it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, service: str) -> _Queue:
        assert service == "sqs"
        return self

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": f"http://local/{QueueName}"}

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.bodies.append(json.loads(MessageBody))


def _texts(event: dict[str, Any]) -> list[str]:
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]


def _run(
    config: KinesisMappingConfig,
    records: list[dict[str, Any]],
    answer: Callable[[list[str]], Any],
) -> tuple[list[list[str]], _Queue]:
    """Process one batch; `answer` gets each invocation's texts and returns the function's
    result, or raises for a function error."""
    invoked: list[list[str]] = []
    destination = _Queue()

    def invoke(function: str, event: dict[str, Any]) -> Invocation:
        texts = _texts(event)
        invoked.append(texts)
        try:
            payload, error = answer(texts), None
        except RuntimeError as failure:
            payload, error = None, {"errorMessage": str(failure), "errorType": "RuntimeError"}
        return Invocation(report=None, payload=payload, error=error)  # type: ignore[arg-type]

    logs = LogSink(io.StringIO(), echo=False)
    poller = KinesisPoller(config, destination, invoke, logs, poll_interval=0)  # type: ignore[arg-type]
    poller._process(SHARD, records)
    return invoked, destination


def _fail_on(marker: str) -> Callable[[list[str]], Any]:
    def answer(texts: list[str]) -> Any:
        if any(marker in text for text in texts):
            raise RuntimeError("poison")
        return {"batchItemFailures": []}

    return answer


def test_bisection_isolates_a_poison_record_without_spending_retries() -> None:
    config = _config(max_retry_attempts=0)
    records = _records(config, "a", "b", "poison", "d")

    invoked, destination = _run(config, records, _fail_on("poison"))

    # Halves in order: [a b] passes; [poison d] fails and splits; poison alone fails once.
    assert invoked == [["a", "b", "poison", "d"], ["a", "b"], ["poison", "d"], ["poison"], ["d"]]
    (failure,) = destination.bodies
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = failure["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "3",
        "3",
        1,
    )


def test_without_bisection_a_failing_batch_is_retried_up_to_the_limit_then_described() -> None:
    config = _config(bisect_on_error=False, max_retry_attempts=2)
    records = _records(config, "a", "poison")

    invoked, destination = _run(config, records, _fail_on("poison"))

    assert invoked == [["a", "poison"]] * 3  # the first try and two retries
    (failure,) = destination.bodies
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"].endswith(":function:clicks")
    assert failure["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert failure["version"] == "1.0"
    info = failure["KinesisBatchInfo"]
    assert info == {
        "shardId": SHARD,
        "startSequenceNumber": "1",
        "endSequenceNumber": "2",
        "approximateArrivalOfFirstRecord": info["approximateArrivalOfFirstRecord"],
        "approximateArrivalOfLastRecord": info["approximateArrivalOfLastRecord"],
        "batchSize": 2,
        "streamArn": STREAM,
    }
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_a_reported_failure_checkpoints_the_shard_and_retries_from_it() -> None:
    config = _config(max_retry_attempts=3)
    records = _records(config, "a", "b", "c", "d")
    answers = iter([{"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "4"}]}, {}])

    invoked, destination = _run(config, records, lambda texts: next(answers))

    assert invoked == [["a", "b", "c", "d"], ["c", "d"]]
    assert destination.bodies == []


def test_records_past_the_maximum_age_are_described_not_sent() -> None:
    config = _config(max_record_age_seconds=60)
    records = _records(config, "old-1", "old-2", age=120)

    invoked, destination = _run(config, records, lambda texts: None)

    assert invoked == []
    (failure,) = destination.bodies
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] == 0
    assert "functionError" not in failure["responseContext"]
    assert failure["KinesisBatchInfo"]["batchSize"] == 2


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "2"}]}, {"2"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": "99"}]}, None),
        ({"batchItemFailures": [{"id": "1"}]}, None),
        ("not an object", None),
    ],
)
def test_batch_item_failures_follow_lambdas_rules(response: Any, failed: set[str] | None) -> None:
    config = _config()
    assert failed_sequence_numbers(response, _records(config, "a", "b")) == failed


def test_a_malformed_answer_fails_the_whole_batch() -> None:
    config = _config(bisect_on_error=False, max_retry_attempts=1)
    records = _records(config, "a", "b")

    invoked, destination = _run(config, records, lambda texts: {"batchItemFailures": [{}]})

    assert invoked == [["a", "b"], ["a", "b"]]
    assert destination.bodies[0]["KinesisBatchInfo"]["batchSize"] == 2


class _Shard:
    """A shard as GetShardIterator and GetRecords show it: iterators are positions."""

    def __init__(self, texts: list[str]) -> None:
        self.records = [
            {
                "Data": text.encode(),
                "PartitionKey": "k",
                "SequenceNumber": str(number),
                "ApproximateArrivalTimestamp": time.time(),
            }
            for number, text in enumerate(texts, start=1)
        ]
        self.limits: list[int] = []

    def __call__(self, service: str) -> _Shard:
        return self

    def get_shard_iterator(self, ShardIteratorType: str, **kwargs: Any) -> dict[str, str]:
        position = len(self.records) if ShardIteratorType == "LATEST" else 0
        return {"ShardIterator": str(position)}

    def get_records(self, ShardIterator: str, Limit: int, **kwargs: Any) -> dict[str, Any]:
        self.limits.append(Limit)
        start = int(ShardIterator)
        page = self.records[start : start + Limit]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


def _poller(config: KinesisMappingConfig, shard: _Shard) -> KinesisPoller:
    logs = LogSink(io.StringIO(), echo=False)
    return KinesisPoller(config, shard, None, logs, poll_interval=0)  # type: ignore[arg-type]


def test_a_batch_holds_at_most_batch_size_records_in_stream_order() -> None:
    shard = _Shard([f"r{n}" for n in range(7)])
    poller = _poller(_config(batch_size=3), shard)
    poller._iterators[SHARD] = poller._first_iterator(SHARD)

    batches = [_texts({"Records": poller._next_batch(SHARD)}) for _ in range(4)]

    assert batches == [["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6"], []]
    assert max(shard.limits) == 3


def test_the_batching_window_gathers_records_that_arrive_after_the_first() -> None:
    shard = _Shard(["r0"])
    poller = _poller(_config(batch_size=10, batching_window_seconds=5), shard)
    poller._iterators[SHARD] = poller._first_iterator(SHARD)
    later = shard.records[0] | {"Data": b"r1", "SequenceNumber": "2"}
    reads = shard.get_records

    def one_more_record_arrives(**kwargs: Any) -> dict[str, Any]:
        answer = reads(**kwargs)
        if len(shard.limits) == 1:
            shard.records.append(later)
        elif len(shard.limits) == 2:
            shard.records.extend([later] * 8)  # the batch fills up: no waiting out the window
        return answer

    shard.get_records = one_more_record_arrives  # type: ignore[method-assign,assignment]

    assert _texts({"Records": poller._next_batch(SHARD)}) == ["r0", "r1", *["r1"] * 8]


def test_latest_starts_after_what_the_stream_held_at_start_up() -> None:
    shard = _Shard(["before"])
    poller = _poller(_config(starting_position="LATEST"), shard)
    poller._iterators[SHARD] = poller._first_iterator(SHARD)
    shard.records.append(shard.records[0] | {"Data": b"after", "SequenceNumber": "2"})

    assert _texts({"Records": poller._next_batch(SHARD)}) == ["after"]
