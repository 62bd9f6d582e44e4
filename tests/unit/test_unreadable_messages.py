"""Poison messages (issue 14): every consumer logs `unreadable message` with its message id,
counts UnreadableMessages and reports the message as a batch item failure, never as a function
error; a batch whose every readable record crashed still fails the invocation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from shortener.consumers.runner import LinkEventConsumer
from shortener.consumers.unreadable import UNREADABLE_METRIC
from tests.unit.conftest import new_lambda_context
from tests.unit.consumer_events import created, failed_message_ids, load_handler, sqs_event

pytest_plugins = ["tests.unit.consumers_fixtures"]

POISON = "not an event at all"
CONSUMERS = ["qr", "stats", "email", "cdn", "webhook_dispatch", "webhook_deliver"]


@pytest.fixture
def consumer_environment(
    qr_bucket: str, email_sender: str, distribution_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everything any consumer reads from its environment."""
    monkeypatch.setenv("DELIVERY_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/deliveries")


def metrics_printed(output: str) -> list[dict[str, Any]]:
    """The EMF blobs a function printed (one per invocation)."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line]


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_a_batch_of_only_a_poison_message_is_a_batch_item_failure_logged_and_counted(
    consumer_environment: None,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    consumer: str,
) -> None:
    batch = sqs_event(POISON)
    message_id = batch["Records"][0]["messageId"]

    response = load_handler(consumer)(batch, new_lambda_context())

    assert failed_message_ids(response) == [message_id]
    [logged] = [record for record in caplog.records if record.msg == "unreadable message"]
    assert logged.message_id == message_id  # type: ignore[attr-defined]
    assert logged.levelname == "ERROR"
    [emf] = metrics_printed(capsys.readouterr().out)
    assert emf[UNREADABLE_METRIC] == [1.0]


def test_a_batch_whose_readable_records_all_crashed_still_fails_the_invocation(
    consumer_environment: None,
) -> None:
    def crash(_: Any) -> None:
        raise RuntimeError("the effect's service is down")

    handler = LinkEventConsumer("crashing", crash, idempotent=False).lambda_handler()

    with pytest.raises(BatchProcessingError):
        handler(sqs_event(created("abc1234")), new_lambda_context())


def test_poison_beside_a_crash_is_reported_record_by_record(consumer_environment: None) -> None:
    def crash(_: Any) -> None:
        raise RuntimeError("the effect's service is down")

    handler = LinkEventConsumer("crashing", crash, idempotent=False).lambda_handler()
    batch = sqs_event(POISON, created("abc1234"))

    response = handler(batch, new_lambda_context())

    assert failed_message_ids(response) == [record["messageId"] for record in batch["Records"]]
