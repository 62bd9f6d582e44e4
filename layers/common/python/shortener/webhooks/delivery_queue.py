"""The delivery queue: fan-out sends to it, and a failed attempt reschedules its own message."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from shortener import settings
from shortener.aws_clients import client
from shortener.webhooks.messages import DeliveryMessage

SEND_BATCH_LIMIT = 10  # SendMessageBatch takes at most ten entries
MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600  # SQS's ceiling for ChangeMessageVisibility


class DeliveriesNotQueued(RuntimeError):
    """Some deliveries were not queued; the event is retried (the deliverer dedupes)."""


def send(messages: Sequence[DeliveryMessage]) -> None:
    """Queue the deliveries, ten per SendMessageBatch call."""
    for start in range(0, len(messages), SEND_BATCH_LIMIT):
        chunk = messages[start : start + SEND_BATCH_LIMIT]
        response = client("sqs").send_message_batch(
            QueueUrl=settings.delivery_queue_url(),
            Entries=[
                {"Id": str(index), "MessageBody": message.model_dump_json()}
                for index, message in enumerate(chunk)
            ],
        )
        failed = response.get("Failed", [])
        if failed:
            codes = sorted({entry["Code"] for entry in failed})
            raise DeliveriesNotQueued(f"{len(failed)} deliveries not queued: {', '.join(codes)}")


@lru_cache(maxsize=8)
def _queue_url(queue_arn: str) -> str:
    *_, account, name = queue_arn.split(":")
    return client("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def redeliver_after(queue_arn: str, receipt_handle: str, delay_seconds: int) -> None:
    """Make a received message visible again after `delay_seconds` (0: at once).

    Reported as a batch item failure, the message then comes back after the delay, and SQS
    moves it to the dead-letter queue once it has been received maxReceiveCount times.
    """
    client("sqs").change_message_visibility(
        QueueUrl=_queue_url(queue_arn),
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=max(0, min(delay_seconds, MAX_VISIBILITY_TIMEOUT_SECONDS)),
    )
