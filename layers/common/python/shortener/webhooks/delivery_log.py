"""Data access for the delivery log: one item per (event, endpoint), updated on every attempt."""

from __future__ import annotations

from typing import Literal

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from shortener.clock import now_iso
from shortener.models import WebhookDeliveryModel, condition_failed
from shortener.webhooks.messages import DeliveryMessage

DeliveryState = Literal["pending", "delivered", "failed", "skipped"]
MAX_ERROR_LENGTH = 300


def _key(endpoint_id: str, delivery_id: str) -> tuple[str, str]:
    return (
        WebhookDeliveryModel.partition_key(endpoint_id),
        WebhookDeliveryModel.sort_key(delivery_id),
    )


def find(endpoint_id: str, delivery_id: str) -> WebhookDeliveryModel | None:
    try:
        return WebhookDeliveryModel.get(*_key(endpoint_id, delivery_id), consistent_read=True)
    except DoesNotExist:
        return None


def open_delivery(message: DeliveryMessage) -> WebhookDeliveryModel:
    """The log item of a delivery, created pending unless it exists (a duplicate or a replay)."""
    now = now_iso()
    delivery = WebhookDeliveryModel(
        *_key(message.endpoint_id, message.delivery_id),
        delivery_id=message.delivery_id,
        event_id=message.event.id,
        event_type=message.event.type,
        code=message.event.link.code,
        attempts=0,
        state="pending",
        created_at=now,
        updated_at=now,
    )
    try:
        delivery.save(condition=WebhookDeliveryModel.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        # None only if purged in between, its endpoint just deleted: nothing more will happen.
        return find(message.endpoint_id, message.delivery_id) or delivery
    return delivery


def list_for_endpoint(endpoint_id: str) -> list[WebhookDeliveryModel]:
    """An endpoint's deliveries, newest first.

    The sort key is the delivery id (so the deliverer can find a delivery directly), hence the
    sort in memory.
    """
    deliveries = WebhookDeliveryModel.query(WebhookDeliveryModel.partition_key(endpoint_id))
    return sorted(
        deliveries, key=lambda delivery: (delivery.created_at, delivery.delivery_id), reverse=True
    )


def purge(endpoint_id: str) -> None:
    """Delete an endpoint's whole log (its endpoint is gone; nobody can read it any more)."""
    keys_only = WebhookDeliveryModel.query(
        WebhookDeliveryModel.partition_key(endpoint_id), attributes_to_get=["pk", "sk"]
    )
    with WebhookDeliveryModel.batch_write() as batch:
        for delivery in keys_only:
            batch.delete(delivery)


def _update(delivery: WebhookDeliveryModel, actions: list[Action]) -> None:
    """Update the log item unless it was purged meanwhile (its endpoint was deleted)."""
    try:
        delivery.update(
            [*actions, WebhookDeliveryModel.updated_at.set(now_iso())],
            condition=WebhookDeliveryModel.pk.exists(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def record_attempt(
    delivery: WebhookDeliveryModel,
    *,
    state: DeliveryState,
    status_code: int | None,
    error: str | None,
) -> None:
    """Log one attempt; `attempts` counts every attempt, across retries and redrives."""
    actions: list[Action] = [
        WebhookDeliveryModel.attempts.add(1),
        WebhookDeliveryModel.state.set(state),
    ]
    if status_code is None:
        actions.append(WebhookDeliveryModel.last_status_code.remove())
    else:
        actions.append(WebhookDeliveryModel.last_status_code.set(status_code))
    if error is None:
        actions.append(WebhookDeliveryModel.last_error.remove())
    else:
        actions.append(WebhookDeliveryModel.last_error.set(error[:MAX_ERROR_LENGTH]))
    _update(delivery, actions)


def record_skipped(delivery: WebhookDeliveryModel, reason: str) -> None:
    """No attempt made (the endpoint is disabled): say so instead of leaving it pending."""
    _update(
        delivery,
        [WebhookDeliveryModel.state.set("skipped"), WebhookDeliveryModel.last_error.set(reason)],
    )
