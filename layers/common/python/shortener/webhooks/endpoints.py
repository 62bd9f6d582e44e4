"""Data access for webhook endpoints: an owner's subscriptions and their health."""

from __future__ import annotations

import secrets
from datetime import timedelta

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shortener import settings
from shortener.clock import now_iso, parse_iso, to_iso, utcnow
from shortener.models import WebhookEndpointModel, condition_failed
from shortener.webhooks import delivery_log
from shortener.webhooks.signing import new_secret

ENDPOINT_ID_PREFIX = "ep_"
ENDPOINT_SK_PREFIX = "endpoint#"
# How long a rotated-out secret keeps signing beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)


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


def subscribed(
    owner: str, event_type: str, *, disabled_too: bool = False
) -> list[WebhookEndpointModel]:
    """The owner's enabled endpoints that asked for this event type (and the disabled ones)."""
    condition = WebhookEndpointModel.events.contains(event_type)
    if not disabled_too:
        condition &= WebhookEndpointModel.enabled == True  # noqa: E712 (an expression)
    return list(
        WebhookEndpointModel.query(
            WebhookEndpointModel.partition_key(owner),
            WebhookEndpointModel.sk.startswith(ENDPOINT_SK_PREFIX),
            filter_condition=condition,
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
    if endpoint.consecutive_failures or endpoint.failing_since:
        _update_if_present(
            endpoint,
            [
                WebhookEndpointModel.consecutive_failures.set(0),
                WebhookEndpointModel.failing_since.remove(),
            ],
        )


def record_failed_delivery(
    endpoint: WebhookEndpointModel, *, failing_since: str, error: str | None
) -> bool:
    """Count a delivery that exhausted its retries; True when this one disabled the endpoint.

    The streak began with the first try of its first failed delivery (`failing_since` of
    that delivery). The endpoint is disabled once the streak has lasted the stack's
    `failing_for_seconds` and holds at least its `failures` deliveries (settings).
    """
    if not _update_if_present(
        endpoint,
        [
            WebhookEndpointModel.consecutive_failures.add(1),
            WebhookEndpointModel.failing_since.set(
                WebhookEndpointModel.failing_since | failing_since
            ),
            WebhookEndpointModel.last_error.set((error or "")[:300]),
        ],
    ):
        return False
    rule = settings.webhook_disable_after()
    streak_began = parse_iso(endpoint.failing_since or failing_since)
    if (
        endpoint.consecutive_failures < rule.failures
        or (utcnow() - streak_began).total_seconds() < rule.failing_for_seconds
    ):
        return False
    return disable(endpoint, error)


def disable(endpoint: WebhookEndpointModel, error: str | None) -> bool:
    """Disable the endpoint (and ask for its owner's notice); False if it was already."""
    return _update_if_present(
        endpoint,
        [
            WebhookEndpointModel.enabled.set(False),
            WebhookEndpointModel.disabled_at.set(now_iso()),
            WebhookEndpointModel.last_error.set((error or "")[:300]),
            WebhookEndpointModel.disable_notice_pending.set(True),
        ],
        WebhookEndpointModel.enabled == True,  # noqa: E712 (an expression)
    )


def notice_queued(endpoint: WebhookEndpointModel) -> None:
    _update_if_present(endpoint, [WebhookEndpointModel.disable_notice_pending.remove()])


def change(
    endpoint: WebhookEndpointModel,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpointModel:
    """PATCH: re-enabling starts a fresh failure count (the partner says it is fixed)."""
    actions: list[Action] = []
    if url is not None:
        actions.append(WebhookEndpointModel.url.set(url))
    if events is not None:
        actions.append(WebhookEndpointModel.events.set(list(events)))
    if enabled is True and not endpoint.enabled:
        actions += [
            WebhookEndpointModel.enabled.set(True),
            WebhookEndpointModel.disabled_at.remove(),
            WebhookEndpointModel.consecutive_failures.set(0),
            WebhookEndpointModel.failing_since.remove(),
            WebhookEndpointModel.disable_notice_pending.remove(),
        ]
    elif enabled is False and endpoint.enabled:
        actions += [
            WebhookEndpointModel.enabled.set(False),
            WebhookEndpointModel.disabled_at.set(now_iso()),
        ]
    if actions:
        _update_if_present(endpoint, actions)
    return endpoint


def rotate_secret(endpoint: WebhookEndpointModel) -> str:
    """A new secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP.

    The old secret lives on the endpoint item (`previous_secret`) and is dropped at the next
    rotation, which replaces it, or by the first delivery after its overlap ended.
    """
    secret = new_secret()
    expires = to_iso(utcnow() + ROTATION_OVERLAP)
    _update_if_present(
        endpoint,
        [
            WebhookEndpointModel.secret.set(secret),
            WebhookEndpointModel.previous_secret.set(endpoint.secret),
            WebhookEndpointModel.previous_secret_expires_at.set(expires),
        ],
    )
    return secret


def signing_secrets(endpoint: WebhookEndpointModel) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one while
    its rotation overlap lasts (dropped from the item once it is over)."""
    previous, until = endpoint.previous_secret, endpoint.previous_secret_expires_at
    if previous is None:
        return [endpoint.secret]
    if until is not None and parse_iso(until) > utcnow():
        return [endpoint.secret, previous]
    _update_if_present(
        endpoint,
        [
            WebhookEndpointModel.previous_secret.remove(),
            WebhookEndpointModel.previous_secret_expires_at.remove(),
        ],
        WebhookEndpointModel.previous_secret == previous,
    )
    return [endpoint.secret]
