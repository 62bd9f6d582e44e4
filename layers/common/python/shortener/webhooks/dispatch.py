"""Fan-out: one link event becomes one delivery per subscribed endpoint of the link's owner."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from shortener.events import LinkEvent
from shortener.webhooks import delivery_log, delivery_queue, endpoints
from shortener.webhooks.messages import DeliveryMessage

logger = Logger()


def dispatch(event: LinkEvent) -> dict[str, Any]:
    """Queue the event for every subscribed endpoint; the status detail says for how many.

    Each delivery's log item is written (pending) before its message is sent. When this runs
    again for the same event (a crash before the idempotency record was saved), an endpoint
    whose delivery is still pending is queued again, because its first message may never have
    been sent; the deliverer drops the copy if the first one arrived. Finished deliveries
    (delivered, failed, skipped) are not queued again: redriving them is an operator's call.
    A disabled endpoint's delivery is logged `skipped` at once, without a message.
    """
    owner = event.link.owner
    subscribed = endpoints.subscribed(owner, event.type, disabled_too=True)
    messages = {
        endpoint.endpoint_id: DeliveryMessage.for_endpoint(
            event, endpoint_id=endpoint.endpoint_id, owner=owner
        )
        for endpoint in subscribed
    }
    for endpoint in subscribed:
        if not endpoint.enabled:  # logged as skipped, for a recovery once it is re-enabled
            delivery_log.record_skipped(
                delivery_log.open_delivery(messages.pop(endpoint.endpoint_id)),
                1,
                "endpoint disabled",
            )
    to_send = [message for message in messages.values() if _still_pending(message)]
    delivery_queue.send(to_send)
    logger.info("event dispatched", extra={"endpoints": len(messages), "queued": len(to_send)})
    if not messages:
        return {"state": "skipped", "endpoints": 0}
    return {"endpoints": len(messages)}


def _still_pending(message: DeliveryMessage) -> bool:
    return delivery_log.open_delivery(message).state == "pending"
