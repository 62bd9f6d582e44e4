"""The delivery message: one attempt (or a hop towards it) of one (event, endpoint) pair.

A message names the attempt it is for (`attempt`, counted over the delivery's whole life) and
the round it belongs to (`round_start`: the attempt that began the current schedule, and when),
so that the deliverer can make each attempt at most once (see `delivery_log.claim`) and place
the next one on the schedule. `not_before` is when the attempt is due: SQS delays a message by
at most 15 minutes, so a longer wait is a chain of hops until it is due.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from shortener.clock import now_iso
from shortener.events import LinkEvent

TEST_EVENT_TYPE: Literal["webhook.test"] = "webhook.test"


def delivery_id_for(event_id: str, endpoint_id: str) -> str:
    """The `webhook-id` of one event for one endpoint: the same on duplicates, redrives, replays."""
    digest = hashlib.sha256(f"{event_id}\n{endpoint_id}".encode()).hexdigest()
    return "msg_" + digest[:32]


class WebhookTestEvent(BaseModel):
    """What `POST /webhooks/{id}/test` sends: no link, just proof that the endpoint works."""

    id: str
    type: Literal["webhook.test"] = "webhook.test"
    occurred_at: str
    data: dict[str, Any]

    @classmethod
    def for_endpoint(cls, endpoint_id: str) -> WebhookTestEvent:
        return cls(
            id="evt_test_" + secrets.token_hex(12),
            occurred_at=now_iso(),
            data={"endpoint_id": endpoint_id, "message": "A test delivery from Shortener"},
        )


DeliveredEvent = Annotated[LinkEvent | WebhookTestEvent, Field(discriminator="type")]


def event_code(event: LinkEvent | WebhookTestEvent) -> str | None:
    """The link code an event is about (a test event has none)."""
    return event.link.code if isinstance(event, LinkEvent) else None


class DeliveryMessage(BaseModel):
    delivery_id: str
    endpoint_id: str
    owner: str
    event: DeliveredEvent
    attempt: int = 1
    round_start: int = 1
    round_started_at: str | None = None
    not_before: str | None = None

    @classmethod
    def for_endpoint(
        cls, event: LinkEvent | WebhookTestEvent, *, endpoint_id: str, owner: str
    ) -> DeliveryMessage:
        return cls(
            delivery_id=delivery_id_for(event.id, endpoint_id),
            endpoint_id=endpoint_id,
            owner=owner,
            event=event,
        )

    def new_round(self, attempt: int) -> DeliveryMessage:
        """The first try of a fresh schedule (a resend, a recovery, a DLQ redrive)."""
        return self.model_copy(
            update={
                "attempt": attempt,
                "round_start": attempt,
                "round_started_at": None,
                "not_before": None,
            }
        )

    def next_try(self, round_started_at: str, not_before: str) -> DeliveryMessage:
        return self.model_copy(
            update={
                "attempt": self.attempt + 1,
                "round_started_at": round_started_at,
                "not_before": not_before,
            }
        )

    @property
    def try_in_round(self) -> int:
        """1 for the round's first try, 2 for its first retry ..."""
        return self.attempt - self.round_start + 1
