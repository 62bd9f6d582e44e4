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
    """
    owner = event.link.owner
    subscribed = endpoints.subscribed(owner, event.type)
    messages = [
        DeliveryMessage.for_endpoint(event, endpoint_id=endpoint.endpoint_id, owner=owner)
        for endpoint in subscribed
    ]
    to_send = [message for message in messages if _still_pending(message)]
    delivery_queue.send(to_send)
    logger.info("event dispatched", extra={"endpoints": len(subscribed), "queued": len(to_send)})
    if not subscribed:
        return {"state": "skipped", "endpoints": 0}
    return {"endpoints": len(subscribed)}


def _still_pending(message: DeliveryMessage) -> bool:
    return delivery_log.open_delivery(message).state == "pending"
