"""SQS queues the way every side effect gets them: encrypted, TLS only, with a dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.logical_ids import pin_logical_id

# Long enough for an operator to notice, inspect and redrive after a weekend or a holiday.
DEAD_LETTER_RETENTION = Duration.days(14)


def dead_letter_queue(scope: Construct, logical_id: str) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        logical_id,
        retention_period=DEAD_LETTER_RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    pin_logical_id(queue, logical_id)
    return queue


class QueueWithDeadLetterQueue(Construct):
    """`{name}Queue` and `{name}DeadLetterQueue` (the logical ids the ops CLI and runbook use)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        consumer_timeout: Duration,
        max_receive_count: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.max_receive_count = max_receive_count
        self.dead_letter_queue = dead_letter_queue(self, f"{name}DeadLetterQueue")
        self.queue = sqs.Queue(
            self,
            f"{name}Queue",
            # AWS's advice for Lambda event sources: 6 x the timeout, so that a message is not
            # handed to a second invocation while the first (and its retries) still hold it.
            visibility_timeout=Duration.seconds(6 * consumer_timeout.to_seconds()),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=max_receive_count, queue=self.dead_letter_queue
            ),
        )
        pin_logical_id(self.queue, f"{name}Queue")
