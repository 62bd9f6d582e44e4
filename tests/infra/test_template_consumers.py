"""Per side effect: rule -> queue -> consumer, and a DLQ that keeps what fails for an operator."""

from __future__ import annotations

import json

import pytest
from stack_template import DEV_EMAIL_SENDER, PROD_EMAIL_SENDER, StackTemplate

ALL_TYPES = ["link.created", "link.updated", "link.deleted"]
# docs/architecture.md, "Events": rule/queue, event types, consumer.
CONSUMERS = {
    "Qr": (ALL_TYPES, "qr"),
    "Stats": (ALL_TYPES, "stats"),
    "Email": (["link.created"], "email"),
    "Webhooks": (ALL_TYPES, "webhook_dispatch"),
    "Cdn": (ALL_TYPES, "cdn"),
}
QUEUES = [*CONSUMERS, "Delivery", "WebhookNotice"]
FOURTEEN_DAYS = 14 * 24 * 3600
DEV_RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000]


@pytest.mark.parametrize("name", CONSUMERS)
def test_rule_sends_whole_link_events_of_its_types_to_its_queue(
    dev: StackTemplate, name: str
) -> None:
    event_types, _ = CONSUMERS[name]
    rule = dev.props(f"{name}Rule")
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"] == {"source": ["shortener.links"], "detail-type": event_types}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [f"{name}Queue", "Arn"]}
    # The whole event is the message body: consumers parse it with parse_event_message.
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)


@pytest.mark.parametrize("name", CONSUMERS)
def test_only_its_rule_may_send_to_a_queue(dev: StackTemplate, name: str) -> None:
    (allow,) = [s for s in dev.queue_policies(f"{name}Queue") if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert "sqs:SendMessage" in allow["Action"]
    assert not any(a.startswith(("sqs:Receive", "sqs:Delete")) for a in allow["Action"])
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [f"{name}Rule", "Arn"]}}
    }


@pytest.mark.parametrize("name", QUEUES)
def test_queue_dead_letters_after_max_receives(dev: StackTemplate, name: str) -> None:
    # The deliverer dead-letters a delivery after its last try itself; maxReceiveCount only
    # catches a message that the function could not handle five times.
    expected = 5
    assert dev.props(f"{name}Queue")["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [f"{name}DeadLetterQueue", "Arn"]},
        "maxReceiveCount": expected,
    }


@pytest.mark.parametrize("name", [*QUEUES, "Pipe"])
def test_dead_letter_queue_keeps_messages_two_weeks(dev: StackTemplate, name: str) -> None:
    assert dev.props(f"{name}DeadLetterQueue")["MessageRetentionPeriod"] == FOURTEEN_DAYS


@pytest.mark.parametrize(
    "queue",
    [f"{n}{kind}" for n in QUEUES for kind in ("Queue", "DeadLetterQueue")]
    + ["PipeDeadLetterQueue"],
)
def test_every_queue_is_encrypted_and_refuses_plain_http(dev: StackTemplate, queue: str) -> None:
    assert dev.props(queue)["SqsManagedSseEnabled"] is True
    denies = [s for s in dev.queue_policies(queue) if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


@pytest.mark.parametrize("name", QUEUES)
def test_visibility_timeout_is_six_times_the_consumer_timeout(
    dev: StackTemplate, name: str
) -> None:
    mapping = dev.event_source_mapping(f"{name}Queue")
    function = dev.props(mapping["FunctionName"]["Ref"])
    assert dev.props(f"{name}Queue")["VisibilityTimeout"] == 6 * function["Timeout"]


@pytest.mark.parametrize("name", CONSUMERS)
def test_consumer_reports_partial_failures_with_bounded_concurrency(
    dev: StackTemplate, name: str
) -> None:
    _, function = CONSUMERS[name]
    mapping = dev.event_source_mapping(f"{name}Queue")
    assert mapping["FunctionName"] == {"Ref": dev.function_logical_id(function)}
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == 5


def test_deliveries_go_one_by_one_to_the_deliverer(dev: StackTemplate) -> None:
    mapping = dev.event_source_mapping("DeliveryQueue")
    assert mapping["FunctionName"] == {"Ref": "WebhookDeliverFunction"}
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    dispatch = dev.function("webhook_dispatch")["Environment"]["Variables"]
    assert dispatch["DELIVERY_QUEUE_URL"] == {"Ref": "DeliveryQueue"}
    deliver = dev.function("webhook_deliver")["Environment"]["Variables"]
    assert json.loads(deliver["WEBHOOK_RETRY_DELAYS"]) == DEV_RETRY_DELAYS


def test_email_is_sent_from_the_configured_identity(dev: StackTemplate) -> None:
    assert dev.props("EmailSenderIdentity")["EmailIdentity"] == DEV_EMAIL_SENDER
    assert dev.function("email")["Environment"]["Variables"]["EMAIL_SENDER"] == DEV_EMAIL_SENDER


def test_each_stage_declares_only_its_own_identity(dev: StackTemplate, prod: StackTemplate) -> None:
    """Two stages in one account never declare the same identity (its name is its id)."""
    dev_identities = [r["Properties"]["EmailIdentity"] for r in _identities(dev)]
    prod_identities = [r["Properties"]["EmailIdentity"] for r in _identities(prod)]
    assert dev_identities == [DEV_EMAIL_SENDER]
    assert prod_identities == [PROD_EMAIL_SENDER.partition("@")[2]]
    assert prod.function("email")["Environment"]["Variables"]["EMAIL_SENDER"] == (PROD_EMAIL_SENDER)


def _identities(synth: StackTemplate) -> list[dict]:
    return list(synth.of_type("AWS::SES::EmailIdentity").values())


def test_cdn_consumer_knows_its_distribution(dev: StackTemplate) -> None:
    variables = dev.function("cdn")["Environment"]["Variables"]
    assert variables["DISTRIBUTION_ID"] == {"Ref": "Distribution"}


def test_delivery_retention_outlasts_every_message_the_schedule_makes(dev: StackTemplate) -> None:
    """A delivery's schedule lasts about 27 hours, longer than SQS can delay (15 min) or hide
    (12 h) a message, so each retry is a new message delayed by at most 15 minutes: a message
    lives on the queue at most its delay plus its receives, far within the queue's retention."""
    queue = dev.props("DeliveryQueue")
    retention = queue.get("MessageRetentionPeriod", 4 * 24 * 3600)  # SQS's default: 4 days
    visibility = queue["VisibilityTimeout"]
    max_receives = queue["RedrivePolicy"]["maxReceiveCount"]
    assert 900 + visibility * max_receives < retention
    assert sum(DEV_RETRY_DELAYS) > 12 * 3600  # why one message could not carry the schedule
    # After the last try, the DLQ keeps it 14 days; the delivery log keeps it 30.
    assert dev.props("DeliveryDeadLetterQueue")["MessageRetentionPeriod"] == FOURTEEN_DAYS
