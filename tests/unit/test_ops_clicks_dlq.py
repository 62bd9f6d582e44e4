"""The clicks DLQ, like the others: listed with its source (the replay queue the clicks function
reads), its Kinesis failure records summarised, and redriven to the replay queue unchanged, so
the consumer re-reads the records they name from the stream."""

from __future__ import annotations

import json

from tests.unit.ops_support import (
    CLICKS_DLQ,
    CLICKS_REPLAY_QUEUE,
    IGNORE_SKIPPED_PIPE,
    World,
    run_ops,
)

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE

FAILURE = {
    "requestContext": {
        "requestId": "c9b8fa9f-5a7f-4b2a-af9c-0c604cde93a5",
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
    "timestamp": "2026-12-01T10:00:00.000Z",
    "KinesisBatchInfo": {
        "shardId": "shardId-000000000001",
        "startSequenceNumber": "17",
        "endSequenceNumber": "20",
        "approximateArrivalOfFirstRecord": "2026-12-01T09:59:58.000Z",
        "approximateArrivalOfLastRecord": "2026-12-01T09:59:59.000Z",
        "batchSize": 4,
        "streamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
    },
}


def test_the_clicks_dlq_is_listed_with_the_replay_queue_as_its_source(world: World) -> None:
    listed = {row["alias"]: row for row in run_ops("dlq", "list", "--json").json()}

    clicks = listed["clicks-dlq"]
    assert clicks["dlq"] == world.queue_name(CLICKS_DLQ)
    assert clicks["source"] == world.queue_name(CLICKS_REPLAY_QUEUE)


def test_peek_says_which_stream_records_failed(world: World) -> None:
    world.send(CLICKS_DLQ, json.dumps(FAILURE))

    (row,) = run_ops("dlq", "peek", "clicks-dlq", "--json").json()

    assert row["summary"].startswith("click batch failure: ")
    for part in ("RetryAttemptsExhausted", "shardId-000000000001", "startSequenceNumber=17"):
        assert part in row["summary"]


def test_a_redrive_moves_failure_records_to_the_replay_queue_unchanged(world: World) -> None:
    world.send(CLICKS_DLQ, json.dumps(FAILURE))

    moved = run_ops("dlq", "redrive", "clicks-dlq", "--json")

    assert moved.code == 0, moved.stdout
    assert world.depth(CLICKS_DLQ) == 0
    assert world.bodies(CLICKS_REPLAY_QUEUE) == [FAILURE]
