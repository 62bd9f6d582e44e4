"""The delivery message: one (event, endpoint) pair on the delivery queue."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel

from shortener.events import LinkEvent


def delivery_id_for(event_id: str, endpoint_id: str) -> str:
    """The `webhook-id` of one event for one endpoint: the same on duplicates, redrives, replays."""
    digest = hashlib.sha256(f"{event_id}\n{endpoint_id}".encode()).hexdigest()
    return "msg_" + digest[:32]


class DeliveryMessage(BaseModel):
    delivery_id: str
    endpoint_id: str
    owner: str
    event: LinkEvent

    @classmethod
    def for_endpoint(cls, event: LinkEvent, *, endpoint_id: str, owner: str) -> DeliveryMessage:
        return cls(
            delivery_id=delivery_id_for(event.id, endpoint_id),
            endpoint_id=endpoint_id,
            owner=owner,
            event=event,
        )
