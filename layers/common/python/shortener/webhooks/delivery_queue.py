"""The delivery queue: fan-out, resends and recoveries send to it, and each attempt sends the
next one (or its hop, or its dead letter) before its own message is acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shortener import settings
from shortener.aws_clients import client
from shortener.webhooks.messages import DeliveryMessage

SEND_BATCH_LIMIT = 10  # SendMessageBatch takes at most ten entries


class DeliveriesNotQueued(RuntimeError):
    """Some deliveries were not queued; the event is retried (the deliverer dedupes)."""


@dataclass(frozen=True)
class DeliveryQueue:
    """Where deliveries are sent from outside a function (the ops CLI): its URL and client."""

    url: str
    sqs: Any


def send(messages: Sequence[DeliveryMessage], queue: DeliveryQueue | None = None) -> None:
    """Queue the deliveries, ten per SendMessageBatch call (to the function's queue, or `queue`)."""
    sqs = queue.sqs if queue else client("sqs")
    url = queue.url if queue else settings.delivery_queue_url()
    for start in range(0, len(messages), SEND_BATCH_LIMIT):
        chunk = messages[start : start + SEND_BATCH_LIMIT]
        response = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(index), "MessageBody": message.model_dump_json()}
                for index, message in enumerate(chunk)
            ],
        )
        failed = response.get("Failed", [])
        if failed:
            codes = sorted({entry["Code"] for entry in failed})
            raise DeliveriesNotQueued(f"{len(failed)} deliveries not queued: {', '.join(codes)}")


def send_later(message: DeliveryMessage, delay_seconds: int) -> None:
    """Queue one message to become visible after `delay_seconds` (at most 900, SQS's limit)."""
    client("sqs").send_message(
        QueueUrl=settings.delivery_queue_url(),
        MessageBody=message.model_dump_json(),
        DelaySeconds=delay_seconds,
    )


def dead_letter(message: DeliveryMessage) -> None:
    """Park a delivery whose schedule ran out in the delivery DLQ, as the first try of a new
    round: `ops dlq redrive` sends it back as it is, and it is then tried once more."""
    client("sqs").send_message(
        QueueUrl=settings.delivery_dead_letter_queue_url(), MessageBody=message.model_dump_json()
    )
