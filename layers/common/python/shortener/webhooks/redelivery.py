"""Deliveries sent again on request: a test event, one resend, a recovery since an outage began.

The API and the ops CLI share these. Each queues the delivery as the first try of a new round
(attempt = attempts made + 1, the same `webhook-id`), so the deliverer's claim on the attempt
number makes every request idempotent: two recoveries of one delivery, or a recovery and a DLQ
redrive of it, post it once. The message is sent before the log item is marked pending, so a
failure in between leaves a finished delivery that can be recovered again, never a pending one
that nothing will deliver.
"""

from __future__ import annotations

from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.webhooks import delivery_log, delivery_queue
from shortener.webhooks.messages import DeliveryMessage, WebhookTestEvent

RECOVERABLE_STATES = ("failed", "skipped")


class StillBeingTried(Exception):
    """The delivery is pending: its schedule is running, there is nothing to resend yet."""


def send_test(endpoint: WebhookEndpointModel) -> WebhookDeliveryModel:
    """Queue a `webhook.test` delivery, logged like any other."""
    message = DeliveryMessage.for_endpoint(
        WebhookTestEvent.for_endpoint(endpoint.endpoint_id),
        endpoint_id=endpoint.endpoint_id,
        owner=endpoint.owner,
    )
    delivery = delivery_log.open_delivery(message)
    delivery_queue.send([message])
    return delivery


def resend(
    endpoint: WebhookEndpointModel,
    delivery: WebhookDeliveryModel,
    queue: delivery_queue.DeliveryQueue | None = None,
) -> None:
    """Deliver one finished delivery again (delivered ones too: a partner lost its copy)."""
    if delivery.state not in delivery_log.FINISHED_STATES:
        raise StillBeingTried(delivery.delivery_id)
    delivery_queue.send([delivery_log.message_of(delivery, endpoint.endpoint_id)], queue)
    delivery_log.reopen(delivery)


def recoverable_since(endpoint_id: str, since: str) -> list[WebhookDeliveryModel]:
    """The endpoint's deliveries that failed or were skipped at or after `since` (ISO UTC)."""
    return [
        delivery
        for delivery in delivery_log.list_for_endpoint(endpoint_id)
        if delivery.state in RECOVERABLE_STATES and delivery.updated_at >= since
    ]


def recover(
    endpoint: WebhookEndpointModel,
    since: str,
    queue: delivery_queue.DeliveryQueue | None = None,
) -> int:
    """Queue every delivery that failed or was skipped since `since`; how many were queued."""
    deliveries = recoverable_since(endpoint.endpoint_id, since)
    delivery_queue.send(
        [delivery_log.message_of(delivery, endpoint.endpoint_id) for delivery in deliveries], queue
    )
    for delivery in deliveries:
        delivery_log.reopen(delivery)
    return len(deliveries)
