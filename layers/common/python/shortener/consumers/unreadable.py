"""Poison messages: a body no consumer can read is a failure of that one message, not a crash.

Every consumer (the link-event consumers and the webhook deliverer) reads its messages through
`read_message`, which logs `unreadable message` with the SQS message id (SQS keeps the id when
it moves the message to the DLQ) and counts the `UnreadableMessages` metric. The message is
then reported as a batch item failure, so SQS hands it back and moves it to the dead-letter
queue after `maxReceiveCount` receives, as it does for any failed record
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).

Powertools' batch processor fails the whole invocation when every record of a batch failed;
`ConsumerBatchProcessor` keeps that for crashes only. A batch failed by unreadable messages
stays a partial batch response: the function's `Errors` metric (and its alarm) then means a
crash or a timeout, never a poison message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

UNREADABLE_METRIC = "UnreadableMessages"
T = TypeVar("T")

logger = Logger(child=True)
metrics = Metrics()


class UnreadableMessage(Exception):
    """The message body is not what this queue carries; retrying cannot help."""


def read_message(record: SQSRecord, parse: Callable[[str], T]) -> T:
    """`parse(body)`, or UnreadableMessage after logging and counting the message."""
    try:
        return parse(record.body)
    except Exception as error:
        logger.error(
            "unreadable message",
            extra={
                "message_id": record.message_id,
                "receive_count": record.attributes.approximate_receive_count,
                "reason": f"{type(error).__name__}: {str(error)[:300]}",
            },
        )
        metrics.add_metric(name=UNREADABLE_METRIC, unit=MetricUnit.Count, value=1)
        raise UnreadableMessage(record.message_id) from error


class ConsumerBatchProcessor(BatchProcessor):
    """An SQS batch processor whose whole-batch failure means a crash, not poison messages."""

    def __init__(self) -> None:
        super().__init__(event_type=EventType.SQS)

    def _entire_batch_failed(self) -> bool:
        # Powertools 3's hook for raise_on_entire_batch_failure (pinned in requirements.txt;
        # tests/unit/test_unreadable_messages.py holds it to this behaviour).
        failed_by_poison = any(
            isinstance(error, UnreadableMessage) for _, error, _ in self.exceptions
        )
        return super()._entire_batch_failed() and not failed_by_poison
