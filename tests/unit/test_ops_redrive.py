"""`python -m ops dlq redrive`: what moves, what stays, and that bodies (event ids) survive."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ops import redrive as redrive_module
from ops.discovery import DeadLetterQueue, Queue
from ops.output import Output
from ops.redrive import RedrivePlan, redrive
from tests.unit.ops_support import (
    DELIVERY_DLQ,
    DELIVERY_QUEUE,
    IGNORE_SKIPPED_PIPE,
    PIPE_DLQ,
    QR_DLQ,
    QR_QUEUE,
    World,
    link_event,
    run_ops,
)

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


def _dead_letter(world: World, *codes: str, event_type: str = "link.created") -> dict[str, str]:
    """Events for `codes` that the QR consumer failed on; returns code → event id."""
    ids = {}
    for code in codes:
        event = link_event(code, event_type)
        world.publish(event)
        ids[code] = event.id
    world.fail_all(QR_QUEUE)
    return ids


def _event_ids(bodies: list[dict[str, object]]) -> set[str]:
    return {body["detail"]["id"] for body in bodies}  # type: ignore[index]


def test_dry_run_lists_what_would_move_and_moves_nothing(world: World) -> None:
    ids = _dead_letter(world, "dry0001", "dry0002")

    result = run_ops("dlq", "redrive", "qr-dlq", "--dry-run", "--json").json()

    assert result["dry_run"] is True
    assert result["moved"] == 0
    assert {row["event_id"] for row in result["would_move"]} == set(ids.values())
    assert world.depth(QR_QUEUE) == 0
    assert world.depth(QR_DLQ) == 2
    assert len(run_ops("dlq", "peek", "qr-dlq", "--json").json()) == 2  # all still visible


def test_filter_by_code_moves_only_that_link_with_its_body_intact(world: World) -> None:
    ids = _dead_letter(world, "mov0001", "stay001", "stay002")

    result = run_ops("dlq", "redrive", "qr-dlq", "--filter", "code=mov0001", "--json").json()

    assert (result["mode"], result["moved"], result["skipped"], result["failed"]) == (
        "client",
        1,
        2,
        0,
    )
    moved = world.bodies(QR_QUEUE)
    assert _event_ids(moved) == {ids["mov0001"]}
    assert moved[0]["detail"]["link"]["code"] == "mov0001"
    left = {row["code"] for row in run_ops("dlq", "peek", "qr-dlq", "--json").json()}
    assert left == {"stay001", "stay002"}  # and visible again right away


def test_filter_by_type(world: World) -> None:
    created = _dead_letter(world, "typ0001")
    deleted = _dead_letter(world, "typ0002", event_type="link.deleted")

    result = run_ops("dlq", "redrive", "qr-dlq", "--filter", "type=link.deleted", "--json").json()

    assert (result["moved"], result["skipped"]) == (1, 1)
    assert _event_ids(world.bodies(QR_QUEUE)) == set(deleted.values())
    assert {row["event_id"] for row in run_ops("dlq", "peek", "qr-dlq", "--json").json()} == set(
        created.values()
    )


def test_filter_by_jmespath_over_the_body(world: World) -> None:
    ids = _dead_letter(world, "jms0001", "jms0002")

    result = run_ops(
        "dlq", "redrive", "qr-dlq", "--filter", "jmes:detail.link.code == 'jms0002'", "--json"
    ).json()

    assert (result["moved"], result["skipped"]) == (1, 1)
    assert _event_ids(world.bodies(QR_QUEUE)) == {ids["jms0002"]}


def test_filters_combine(world: World) -> None:
    _dead_letter(world, "cmb0001", "cmb0002")

    result = run_ops(
        "dlq",
        "redrive",
        "qr-dlq",
        "--filter",
        "code=cmb0001",
        "--filter",
        "type=link.updated",
        "--json",
    ).json()

    assert (result["moved"], result["skipped"]) == (0, 2)
    assert world.depth(QR_DLQ) == 2


def test_without_a_filter_on_moto_it_falls_back_to_the_client_side_move(world: World) -> None:
    ids = _dead_letter(world, "all0001", "all0002", "all0003")

    ran = run_ops("dlq", "redrive", "qr-dlq", "--rate", "500", "--json")

    result = ran.json()
    assert (result["mode"], result["moved"], result["failed"]) == ("client", 3, 0)
    assert "StartMessageMoveTask" in ran.stderr
    assert world.depth(QR_DLQ) == 0
    assert _event_ids(world.bodies(QR_QUEUE)) == set(ids.values())


def test_max_caps_the_move(world: World) -> None:
    _dead_letter(world, "cap0001", "cap0002", "cap0003")

    result = run_ops("dlq", "redrive", "qr-dlq", "--max", "2", "--json").json()

    assert result["moved"] == 2
    assert world.depth(QR_QUEUE) == 2
    assert len(run_ops("dlq", "peek", "qr-dlq", "--json").json()) == 1


def test_a_delivery_moves_back_with_its_attributes(world: World) -> None:
    event = link_event("att0001")
    body = json.dumps(
        {
            "delivery_id": "msg_1",
            "endpoint_id": "ep_1",
            "owner": "alice",
            "event": event.model_dump(mode="json"),
        }
    )
    world.sqs.send_message(
        QueueUrl=world.queue_url(DELIVERY_QUEUE),
        MessageBody=body,
        MessageAttributes={"attempt": {"DataType": "Number", "StringValue": "3"}},
    )
    world.fail_all(DELIVERY_QUEUE)

    result = run_ops("dlq", "redrive", "delivery-dlq", "--filter", "code=att0001", "--json").json()

    assert result["moved"] == 1
    (message,) = world.sqs.receive_message(
        QueueUrl=world.queue_url(DELIVERY_QUEUE), MessageAttributeNames=["All"]
    )["Messages"]
    assert message["Body"] == body
    assert message["MessageAttributes"]["attempt"]["StringValue"] == "3"
    assert world.depth(DELIVERY_DLQ) == 0


def test_the_pipe_dlq_cannot_be_redriven(world: World) -> None:
    world.sqs.send_message(QueueUrl=world.queue_url(PIPE_DLQ), MessageBody="{}")

    ran = run_ops("dlq", "redrive", "pipe-dlq")

    assert ran.code == 2
    assert "runbook" in ran.stderr
    assert world.depth(PIPE_DLQ) == 1


@pytest.mark.parametrize(
    "bad", ["colour=red", "type=link.exploded", "code=", "jmes:detail.[", "nonsense"]
)
def test_a_bad_filter_exits_2_and_moves_nothing(world: World, bad: str) -> None:
    _dead_letter(world, "bad0001")

    ran = run_ops("dlq", "redrive", "qr-dlq", "--filter", bad)

    assert ran.code == 2
    assert world.depth(QR_DLQ) == 1
    assert world.depth(QR_QUEUE) == 0


# --- the native move, which moto lacks: botocore's Stubber plays SQS --------------------------

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:Shortener-dev-QrDeadLetterQueue-ABC"
SOURCE_ARN = "arn:aws:sqs:us-east-1:123456789012:Shortener-dev-QrQueue-DEF"


def _queue(logical_id: str, arn: str) -> Queue:
    name = arn.rsplit(":", 1)[-1]
    return Queue(logical_id, f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}", arn, {})


def _qr_dlq() -> DeadLetterQueue:
    return DeadLetterQueue(
        _queue("QrDeadLetterQueue", DLQ_ARN),
        source=_queue("QrQueue", SOURCE_ARN),
    )


def _quiet() -> Output:
    return Output(as_json=True, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def stubbed_sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, Stubber]]:
    monkeypatch.setattr(redrive_module, "MOVE_TASK_POLL_SECONDS", 0)
    sqs = boto3.client(
        "sqs", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(sqs) as stubber:
        yield sqs, stubber
        stubber.assert_no_pending_responses()


def test_native_move_starts_one_task_from_the_dlq_to_its_source(
    stubbed_sqs: tuple[object, Stubber],
) -> None:
    sqs, stubber = stubbed_sqs
    stubber.add_response(
        "start_message_move_task",
        {"TaskHandle": "task-1"},
        {"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN, "MaxNumberOfMessagesPerSecond": 25},
    )
    stubber.add_response(
        "list_message_move_tasks",
        {
            "Results": [
                {
                    "Status": "RUNNING",
                    "ApproximateNumberOfMessagesMoved": 1,
                    "ApproximateNumberOfMessagesToMove": 4,
                }
            ]
        },
        {"SourceArn": DLQ_ARN, "MaxResults": 1},
    )
    stubber.add_response(
        "list_message_move_tasks",
        {
            "Results": [
                {
                    "Status": "COMPLETED",
                    "ApproximateNumberOfMessagesMoved": 4,
                    "ApproximateNumberOfMessagesToMove": 4,
                }
            ]
        },
        {"SourceArn": DLQ_ARN, "MaxResults": 1},
    )

    result = redrive(sqs, _qr_dlq(), RedrivePlan(rate=25), _quiet())

    assert (result.mode, result.moved, result.succeeded) == ("native", 4, True)


def test_native_move_without_a_rate_lets_sqs_choose(stubbed_sqs: tuple[object, Stubber]) -> None:
    sqs, stubber = stubbed_sqs
    stubber.add_response(
        "start_message_move_task",
        {"TaskHandle": "task-2"},
        {"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN},
    )
    stubber.add_response(
        "list_message_move_tasks",
        {
            "Results": [
                {
                    "Status": "FAILED",
                    "FailureReason": "KMS.AccessDenied",
                    "ApproximateNumberOfMessagesMoved": 0,
                }
            ]
        },
        {"SourceArn": DLQ_ARN, "MaxResults": 1},
    )

    result = redrive(sqs, _qr_dlq(), RedrivePlan(), _quiet())

    assert result.mode == "native"
    assert result.succeeded is False  # the CLI exits 1
    assert result.task is not None
    assert result.task["FailureReason"] == "KMS.AccessDenied"


def test_an_endpoint_without_the_native_move_gets_the_client_side_one(
    stubbed_sqs: tuple[object, Stubber],
) -> None:
    sqs, stubber = stubbed_sqs
    stubber.add_client_error(
        "start_message_move_task", service_error_code="UnsupportedOperation", http_status_code=400
    )
    stubber.add_response(
        "get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "0"}}
    )
    stubber.add_response("receive_message", {})

    result = redrive(sqs, _qr_dlq(), RedrivePlan(), _quiet())

    assert (result.mode, result.moved) == ("client", 0)


@pytest.mark.parametrize(
    "plan",
    [
        RedrivePlan(dry_run=True),
        RedrivePlan(max_messages=5),
        RedrivePlan(selector=lambda decoded: True),
    ],
)
def test_a_filter_a_cap_or_a_dry_run_never_uses_the_native_move(plan: RedrivePlan) -> None:
    assert plan.native_possible is False


# --- the client-side move never loses a message: it deletes only what the source queue took ----

DLQ_URL = _qr_dlq().url
SOURCE_URL = _queue("QrQueue", SOURCE_ARN).url
EVERYTHING = RedrivePlan(selector=lambda decoded: True)  # a filter: the client-side move


def _two_dead_letters(stubber: Stubber) -> None:
    stubber.add_response(
        "get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "2"}}
    )
    stubber.add_response(
        "receive_message",
        {
            "Messages": [
                {"MessageId": "m-sent", "ReceiptHandle": "rh-sent", "Body": "first"},
                {"MessageId": "m-kept", "ReceiptHandle": "rh-kept", "Body": "second"},
            ]
        },
    )


def _both_sent_as_they_were(response: dict[str, object], stubber: Stubber) -> None:
    stubber.add_response(
        "send_message_batch",
        response,
        {
            "QueueUrl": SOURCE_URL,
            "Entries": [{"Id": "0", "MessageBody": "first"}, {"Id": "1", "MessageBody": "second"}],
        },
    )


def _released(stubber: Stubber, *handles: str) -> None:
    stubber.add_response(
        "change_message_visibility_batch",
        {"Successful": [{"Id": str(index)} for index in range(len(handles))], "Failed": []},
        {
            "QueueUrl": DLQ_URL,
            "Entries": [
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, handle in enumerate(handles)
            ],
        },
    )


def test_a_message_the_source_queue_refused_stays_in_the_dlq(
    stubbed_sqs: tuple[object, Stubber],
) -> None:
    sqs, stubber = stubbed_sqs
    _two_dead_letters(stubber)
    _both_sent_as_they_were(
        {
            "Successful": [{"Id": "0", "MessageId": "new-1", "MD5OfMessageBody": "x"}],
            "Failed": [{"Id": "1", "SenderFault": False, "Code": "InternalError"}],
        },
        stubber,
    )
    stubber.add_response(  # only the one that was sent
        "delete_message_batch",
        {"Successful": [{"Id": "0"}], "Failed": []},
        {"QueueUrl": DLQ_URL, "Entries": [{"Id": "0", "ReceiptHandle": "rh-sent"}]},
    )
    stubber.add_response("receive_message", {})
    _released(stubber, "rh-kept")  # visible again in the DLQ

    result = redrive(sqs, _qr_dlq(), EVERYTHING, _quiet())

    assert (result.moved, result.failed, result.succeeded) == (1, 1, False)  # the CLI exits 1


def test_a_failed_send_deletes_nothing(stubbed_sqs: tuple[object, Stubber]) -> None:
    sqs, stubber = stubbed_sqs
    _two_dead_letters(stubber)
    stubber.add_client_error(
        "send_message_batch", service_error_code="ServiceUnavailable", http_status_code=503
    )
    _released(stubber, "rh-sent", "rh-kept")  # no delete_message_batch: both stay in the DLQ

    with pytest.raises(ClientError):
        redrive(sqs, _qr_dlq(), EVERYTHING, _quiet())
