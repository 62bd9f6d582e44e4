"""`python -m ops dlq peek | purge | export` on DLQs that failing consumers filled (moto)."""

from __future__ import annotations

import json

from shortener.effects import record_failure
from tests.unit.ops_support import (
    IGNORE_SKIPPED_PIPE,
    PIPE_DLQ,
    QR_DLQ,
    QR_QUEUE,
    STATS_DLQ,
    STATS_QUEUE,
    World,
    dead_lettered_delivery,
    link_event,
    run_ops,
)

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


def _visible(world: World, logical_id: str) -> int:
    attributes = world.sqs.get_queue_attributes(
        QueueUrl=world.queue_url(logical_id), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_peek_decodes_events_with_the_error_their_consumer_recorded(world: World) -> None:
    broken = link_event("brk0001")
    other = link_event("oth0002", "link.updated")
    world.publish(broken)
    world.publish(other)
    record_failure(
        "brk0001", "qr", event_id=broken.id, error=TimeoutError("S3 PutObject timed out")
    )
    world.fail_all(QR_QUEUE)

    peeked = run_ops("dlq", "peek", "qr-dlq", "--json").json()

    by_code = {row["code"]: row for row in peeked}
    assert set(by_code) == {"brk0001", "oth0002"}
    assert by_code["brk0001"]["event_id"] == broken.id
    assert by_code["brk0001"]["type"] == "link.created"
    assert by_code["brk0001"]["last_error"] == "TimeoutError: S3 PutObject timed out"
    assert by_code["oth0002"]["type"] == "link.updated"
    assert by_code["oth0002"]["last_error"] is None
    for row in peeked:
        assert row["receive_count"] >= 1  # the consumer's failed try
        assert row["first_seen"].endswith("Z")


def test_peek_leaves_every_message_visible(world: World) -> None:
    for code in ("vis0001", "vis0002", "vis0003"):
        world.publish(link_event(code))
    world.fail_all(QR_QUEUE)

    run_ops("dlq", "peek", "qr-dlq", "--json").json()

    assert _visible(world, QR_DLQ) == 3


def test_peek_shows_at_most_n(world: World) -> None:
    for code in ("lim0001", "lim0002", "lim0003"):
        world.publish(link_event(code))
    world.fail_all(QR_QUEUE)

    assert len(run_ops("dlq", "peek", "qr-dlq", "-n", "2", "--json").json()) == 2


def test_peek_takes_the_queue_name_too_and_reads_as_a_table(world: World) -> None:
    event = link_event("tbl0001")
    world.publish(event)
    record_failure("tbl0001", "qr", event_id=event.id, error=ValueError("bad url"))
    world.fail_all(QR_QUEUE)

    ran = run_ops("dlq", "peek", world.queue_name(QR_DLQ))

    assert ran.code == 0
    assert event.id in ran.stdout
    assert "tbl0001" in ran.stdout
    assert "ValueError: bad url" in ran.stdout


def test_peek_decodes_webhook_deliveries_with_their_last_status(world: World) -> None:
    event = dead_lettered_delivery(
        world, "hook001", "msg_abc", status=503, last_error="partner answered 503"
    )

    (row,) = run_ops("dlq", "peek", "delivery-dlq", "--json").json()

    assert row["kind"] == "delivery"
    assert row["event_id"] == event.id
    assert row["code"] == "hook001"
    assert row["endpoint_id"] == "ep_0123456789abcdef"
    assert row["last_status_code"] == 503
    assert row["last_error"] == "partner answered 503"


def test_peek_shows_a_partners_status_once(world: World) -> None:
    dead_lettered_delivery(world, "hook002", "msg_def", status=500, last_error="HTTP 500: ok")

    ran = run_ops("dlq", "peek", "delivery-dlq")

    assert "HTTP 500: ok" in ran.stdout
    assert "HTTP 500: HTTP 500" not in ran.stdout


def test_peek_says_that_it_counts_as_a_receive_and_leaves_the_count_to_consumers(
    world: World,
) -> None:
    world.publish(link_event("cnt0001"))
    world.fail_all(QR_QUEUE)

    first = run_ops("dlq", "peek", "qr-dlq", "--json")
    second = run_ops("dlq", "peek", "qr-dlq", "--json")

    assert "ApproximateReceiveCount" in first.stderr
    # Each peek is one receive more in SQS; the receives shown leave peeks out only of the
    # read that shows them, and say so.
    assert second.json()[0]["receive_count"] == first.json()[0]["receive_count"] + 1
    assert _visible(world, QR_DLQ) == 1


def test_peek_shows_a_poison_message_as_it_is(world: World) -> None:
    world.send(STATS_QUEUE, "this is not an event")
    world.fail_all(STATS_QUEUE)

    (row,) = run_ops("dlq", "peek", "stats-dlq", "--json").json()

    assert row["kind"] == "unknown"
    assert row["event_id"] is None
    assert "this is not an event" in row["summary"]


def test_peek_summarises_the_pipes_failure_records(world: World) -> None:
    failure = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3},
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-26T10:00:00.000Z",
        "DDBStreamBatchInfo": {
            "shardId": "shardId-00000001",
            "startSequenceNumber": "100",
            "endSequenceNumber": "102",
            "batchSize": 3,
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/Links/stream/x",
        },
    }
    world.sqs.send_message(QueueUrl=world.queue_url(PIPE_DLQ), MessageBody=json.dumps(failure))

    (row,) = run_ops("dlq", "peek", "pipe-dlq", "--json").json()

    assert row["kind"] == "pipe-failure"
    assert "RetryAttemptsExhausted" in row["summary"]
    assert "shardId-00000001" in row["summary"]
    assert "startSequenceNumber=100" in row["summary"]


def test_purge_refuses_without_yes(world: World) -> None:
    world.send(STATS_QUEUE, "poison")
    world.fail_all(STATS_QUEUE)

    ran = run_ops("dlq", "purge", "stats-dlq")

    assert ran.code == 2
    assert "--yes" in ran.stderr
    assert world.depth(STATS_DLQ) == 1


def test_purge_with_yes_empties_the_dlq(world: World) -> None:
    world.send(STATS_QUEUE, "poison")
    world.fail_all(STATS_QUEUE)

    purged = run_ops("dlq", "purge", "stats-dlq", "--yes", "--json").json()

    assert purged == {"dlq": world.queue_name(STATS_DLQ), "purged": 1}
    assert world.depth(STATS_DLQ) == 0


def test_export_writes_one_json_line_per_message_and_keeps_them(world: World) -> None:
    events = [link_event(code) for code in ("exp0001", "exp0002", "exp0003")]
    for event in events:
        world.publish(event)
    world.fail_all(QR_QUEUE)

    ran = run_ops("dlq", "export", "qr-dlq")

    assert ran.code == 0
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(lines) == 3
    assert {json.loads(line["body"])["detail"]["id"] for line in lines} == {e.id for e in events}
    for line in lines:
        assert line["message_id"]
        assert line["receive_count"] >= 1
        assert "SentTimestamp" in line["attributes"]
    assert _visible(world, QR_DLQ) == 3
    assert "exported 3" in ran.stderr
