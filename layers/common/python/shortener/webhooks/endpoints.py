"""Data access for webhook endpoints: an owner's subscriptions and their health."""

from __future__ import annotations

import secrets

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shortener.clock import now_iso
from shortener.models import WebhookEndpointModel, condition_failed
from shortener.webhooks import delivery_log
from shortener.webhooks.signing import new_secret

ENDPOINT_ID_PREFIX = "ep_"
ENDPOINT_SK_PREFIX = "endpoint#"
# Past this many deliveries in a row that exhausted their retries, an endpoint is disabled.
DISABLE_AFTER_CONSECUTIVE_FAILURES = 20


def new_endpoint_id() -> str:
    return ENDPOINT_ID_PREFIX + secrets.token_hex(8)


def create(owner: str, url: str, events: list[str]) -> WebhookEndpointModel:
    endpoint_id = new_endpoint_id()
    endpoint = WebhookEndpointModel(
        WebhookEndpointModel.partition_key(owner),
        WebhookEndpointModel.sort_key(endpoint_id),
        endpoint_id=endpoint_id,
        owner=owner,
        url=url,
        events=list(events),
        secret=new_secret(),
        created_at=now_iso(),
        enabled=True,
        consecutive_failures=0,
    )
    endpoint.save(condition=WebhookEndpointModel.pk.does_not_exist())
    return endpoint


def find(owner: str, endpoint_id: str) -> WebhookEndpointModel | None:
    try:
        return WebhookEndpointModel.get(
            WebhookEndpointModel.partition_key(owner),
            WebhookEndpointModel.sort_key(endpoint_id),
            consistent_read=True,
        )
    except DoesNotExist:
        return None


def list_for_owner(owner: str) -> list[WebhookEndpointModel]:
    """An owner's endpoints, newest first."""
    endpoints = WebhookEndpointModel.query(
        WebhookEndpointModel.partition_key(owner),
        WebhookEndpointModel.sk.startswith(ENDPOINT_SK_PREFIX),
    )
    return sorted(endpoints, key=lambda endpoint: endpoint.created_at, reverse=True)


def subscribed(owner: str, event_type: str) -> list[WebhookEndpointModel]:
    """The owner's enabled endpoints that asked for this event type."""
    return list(
        WebhookEndpointModel.query(
            WebhookEndpointModel.partition_key(owner),
            WebhookEndpointModel.sk.startswith(ENDPOINT_SK_PREFIX),
            filter_condition=(WebhookEndpointModel.enabled == True)  # noqa: E712 (an expression)
            & WebhookEndpointModel.events.contains(event_type),
        )
    )


def delete(owner: str, endpoint_id: str) -> bool:
    """Remove an endpoint and its delivery log; False when the owner has no such endpoint."""
    endpoint = WebhookEndpointModel(
        WebhookEndpointModel.partition_key(owner), WebhookEndpointModel.sort_key(endpoint_id)
    )
    try:
        endpoint.delete(condition=WebhookEndpointModel.pk.exists())
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    delivery_log.purge(endpoint_id)
    return True


def _update_if_present(
    endpoint: WebhookEndpointModel, actions: list[Action], condition: Condition | None = None
) -> bool:
    """Apply an update unless the endpoint was deleted meanwhile (or `condition` fails)."""
    present = WebhookEndpointModel.pk.exists()
    try:
        endpoint.update(actions, condition=present if condition is None else present & condition)
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def record_delivered(endpoint: WebhookEndpointModel) -> None:
    """A delivery arrived: the partner is healthy again, its failure streak starts over."""
    if endpoint.consecutive_failures:
        _update_if_present(
            endpoint,
            [WebhookEndpointModel.consecutive_failures.set(0)],
            WebhookEndpointModel.consecutive_failures > 0,
        )


def record_failed_delivery(endpoint: WebhookEndpointModel) -> bool:
    """Count a delivery that exhausted its retries; True when this one disabled the endpoint."""
    if not _update_if_present(endpoint, [WebhookEndpointModel.consecutive_failures.add(1)]):
        return False
    if endpoint.consecutive_failures < DISABLE_AFTER_CONSECUTIVE_FAILURES:
        return False
    return _update_if_present(
        endpoint,
        [WebhookEndpointModel.enabled.set(False), WebhookEndpointModel.disabled_at.set(now_iso())],
        WebhookEndpointModel.enabled == True,  # noqa: E712 (an expression)
    )
