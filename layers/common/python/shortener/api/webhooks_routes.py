"""Routes of the management API for webhook endpoints and their delivery logs (docs/webhooks.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shortener import settings
from shortener.api.caller import current_owner
from shortener.api.problem_responses import documented_responses
from shortener.clock import to_iso
from shortener.events import EventType
from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.page_cursors import MAX_CURSOR_LENGTH
from shortener.problems import Problem, not_found
from shortener.webhooks import delivery_log, endpoints, redelivery, ssrf

router = Router()

ENDPOINT_ID = re.compile(r"ep_[0-9a-f]{16}")
DELIVERY_ID = re.compile(r"msg_[0-9a-f]{32}")
TAGS = ["webhooks"]
MAX_DELIVERIES_SHOWN = 100
WebhookIdParameter = Annotated[str, Path(description="The endpoint's id (ep_...)")]
DeliveryIdParameter = Annotated[
    str, Path(description="The delivery's id (msg_...), its webhook-id header")
]


def _unique(events: list[EventType]) -> list[EventType]:
    if len(set(events)) != len(events):
        raise ValueError("events must not repeat an event type")
    return events


class WebhookSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=1, max_length=ssrf.MAX_URL_LENGTH)]
    # uniqueItems: the validator below refuses a repeated event type.
    events: Annotated[list[EventType], Field(min_length=1, json_schema_extra={"uniqueItems": True})]

    @field_validator("events")
    @classmethod
    def _no_duplicates(cls, events: list[EventType]) -> list[EventType]:
        return _unique(events)


class WebhookChange(BaseModel):
    """PATCH: any of url, events, enabled; at least one."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str | None, Field(min_length=1, max_length=ssrf.MAX_URL_LENGTH)] = None
    events: Annotated[
        list[EventType] | None, Field(min_length=1, json_schema_extra={"uniqueItems": True})
    ] = None
    enabled: Annotated[
        bool | None, Field(description="true re-enables a disabled endpoint (failures reset)")
    ] = None

    @field_validator("events")
    @classmethod
    def _no_duplicates(cls, events: list[EventType] | None) -> list[EventType] | None:
        return None if events is None else _unique(events)

    @model_validator(mode="after")
    def _something_to_change(self) -> WebhookChange:
        if self.url is None and self.events is None and self.enabled is None:
            raise ValueError("give at least one of url, events, enabled")
        return self


class RecoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: Annotated[
        AwareDatetime,
        Field(description="Resend every delivery that failed or was skipped at or after this"),
    ]

    @field_validator("since")
    @classmethod
    def _in_utc(cls, since: datetime) -> datetime:
        try:
            return since.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-14:00 is in the year 10000 in UTC
            raise ValueError("since must be a time between the years 1 and 9999 in UTC") from None


class NewSecret(BaseModel):
    secret: Annotated[str, Field(description="The new signing secret (whsec_...), shown once")]


class Queued(BaseModel):
    queued: Annotated[int, Field(description="How many deliveries were queued")]


class QueuedDelivery(BaseModel):
    delivery_id: Annotated[str, Field(description="The webhook-id of the queued delivery")]


class WebhookEndpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    consecutive_failures: int
    created_at: str
    disabled_at: str | None
    failing_since: Annotated[
        str | None, Field(description="When the current run of failed deliveries began")
    ] = None
    last_error: str | None = None
    secret_rotation_ends_at: Annotated[
        str | None, Field(description="Until then deliveries are signed with both secrets")
    ] = None

    @classmethod
    def of(cls, endpoint: WebhookEndpointModel) -> WebhookEndpoint:
        return cls(
            id=endpoint.endpoint_id,
            url=endpoint.url,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            consecutive_failures=int(endpoint.consecutive_failures or 0),
            created_at=endpoint.created_at,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            last_error=endpoint.last_error,
            secret_rotation_ends_at=(
                endpoint.previous_secret_expires_at if endpoint.previous_secret else None
            ),
        )


class NewWebhookEndpoint(WebhookEndpoint):
    secret: Annotated[str, Field(description="Signing secret (whsec_...); shown only here, once")]


class WebhookEndpointList(BaseModel):
    items: list[WebhookEndpoint]


class WebhookDelivery(BaseModel):
    delivery_id: Annotated[str, Field(description="The webhook-id header of the delivery")]
    event_id: str
    event_type: str
    code: str | None
    attempts: int
    last_status_code: int | None
    last_error: str | None
    state: Annotated[str, Field(description="pending, delivered, failed or skipped")]
    next_attempt_at: Annotated[str | None, Field(description="When a pending one is tried next")]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, delivery: WebhookDeliveryModel) -> WebhookDelivery:
        return cls(
            delivery_id=delivery.delivery_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            code=delivery.code,
            attempts=int(delivery.attempts or 0),
            last_status_code=(
                None if delivery.last_status_code is None else int(delivery.last_status_code)
            ),
            last_error=delivery.last_error,
            state=delivery.state,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
        )


class Attempt(BaseModel):
    at: str
    status_code: int | None
    duration_ms: int
    error: Annotated[str | None, Field(description="At most the partner's first bytes")]


class WebhookDeliveryDetail(BaseModel):
    """One delivery: as in the log, with `attempts` the list of its attempts, oldest first."""

    delivery_id: str
    event_id: str
    event_type: str
    code: str | None
    attempt_count: Annotated[int, Field(description="Every attempt made, redrives included")]
    attempts: Annotated[list[Attempt], Field(description="The latest attempts, oldest first")]
    last_status_code: int | None
    last_error: str | None
    state: str
    next_attempt_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, delivery: WebhookDeliveryModel) -> WebhookDeliveryDetail:
        summary = WebhookDelivery.of(delivery).model_dump()
        return cls(
            **{key: value for key, value in summary.items() if key != "attempts"},
            attempt_count=summary["attempts"],
            attempts=[
                Attempt(
                    at=attempt.at,
                    status_code=None if attempt.status_code is None else int(attempt.status_code),
                    duration_ms=int(attempt.duration_ms),
                    error=attempt.error,
                )
                for attempt in delivery.attempt_log or []
            ],
        )


class WebhookDeliveryList(BaseModel):
    items: list[WebhookDelivery]
    next_cursor: str | None


def _callers_endpoint(owner: str, webhook_id: str) -> WebhookEndpointModel:
    """The caller's endpoint; another owner's answers exactly like a missing one."""
    endpoint = endpoints.find(owner, webhook_id) if ENDPOINT_ID.fullmatch(webhook_id) else None
    if endpoint is None:
        raise not_found("webhook endpoint")
    return endpoint


@router.post(
    "/webhooks",
    status_code=201,
    summary="Subscribe an endpoint to link events",
    tags=TAGS,
    description="The URL must be https and resolve only to public addresses. The response holds "
    "the endpoint's signing secret, shown this once.",
    responses=documented_responses(
        201, "The endpoint, with its signing secret", 400, 401, 413, 415
    ),
)
def create_webhook(subscription: Annotated[WebhookSubscription, Body()]) -> NewWebhookEndpoint:
    owner = current_owner(router)
    try:
        target = ssrf.vet_url(subscription.url, allow_loopback=settings.allow_loopback_webhooks())
    except ssrf.UnsafeWebhookUrl as error:
        raise _unsafe_url(error) from error
    endpoint = endpoints.create(owner, target.url, list(subscription.events))
    return NewWebhookEndpoint(**WebhookEndpoint.of(endpoint).model_dump(), secret=endpoint.secret)


@router.get(
    "/webhooks",
    summary="The caller's webhook endpoints (without secrets)",
    tags=TAGS,
    responses=documented_responses(200, "The caller's endpoints", 401),
)
def list_webhooks() -> WebhookEndpointList:
    owner = current_owner(router)
    return WebhookEndpointList(
        items=[WebhookEndpoint.of(endpoint) for endpoint in endpoints.list_for_owner(owner)]
    )


@router.delete(
    "/webhooks/<webhook_id>",
    status_code=204,
    summary="Unsubscribe an endpoint (its delivery log goes with it)",
    tags=TAGS,
    responses=documented_responses(204, "Deleted", 401, 404),
)
def delete_webhook(webhook_id: WebhookIdParameter) -> Response[None]:
    owner = current_owner(router)
    if not ENDPOINT_ID.fullmatch(webhook_id) or not endpoints.delete(owner, webhook_id):
        raise not_found("webhook endpoint")
    return Response(status_code=204)


def _unsafe_url(error: ssrf.UnsafeWebhookUrl) -> Problem:
    return Problem(
        422,
        str(error),
        slug="unsafe-webhook-url",
        errors=[{"pointer": "#/url", "detail": str(error)}],
    )


def _callers_delivery(endpoint: WebhookEndpointModel, delivery_id: str) -> WebhookDeliveryModel:
    found = (
        delivery_log.find(endpoint.endpoint_id, delivery_id)
        if DELIVERY_ID.fullmatch(delivery_id)
        else None
    )
    if found is None:
        raise not_found("delivery")
    return found


@router.patch(
    "/webhooks/<webhook_id>",
    summary="Change an endpoint's url, events or enabled",
    tags=TAGS,
    description="A new URL is checked like a new subscription's. Re-enabling a disabled endpoint "
    "starts its failure count over; deliveries skipped meanwhile can be sent with recover.",
    responses=documented_responses(200, "The endpoint as changed", 400, 401, 404, 413, 415),
)
def change_webhook(
    webhook_id: WebhookIdParameter, change: Annotated[WebhookChange, Body()]
) -> WebhookEndpoint:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    url = None
    if change.url is not None:
        try:
            url = ssrf.vet_url(change.url, allow_loopback=settings.allow_loopback_webhooks()).url
        except ssrf.UnsafeWebhookUrl as error:
            raise _unsafe_url(error) from error
    events = None if change.events is None else [str(event) for event in change.events]
    endpoints.change(endpoint, url=url, events=events, enabled=change.enabled)
    return WebhookEndpoint.of(endpoint)


@router.post(
    "/webhooks/<webhook_id>/rotate-secret",
    summary="Replace the endpoint's signing secret",
    tags=TAGS,
    description="Answers the new secret, shown this once. For 24 hours deliveries carry a "
    "signature with each secret (space-separated in webhook-signature), then the new one only.",
    responses=documented_responses(200, "The new secret", 401, 404),
)
def rotate_secret(webhook_id: WebhookIdParameter) -> NewSecret:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    return NewSecret(secret=endpoints.rotate_secret(endpoint))


@router.post(
    "/webhooks/<webhook_id>/test",
    status_code=202,
    summary="Send a webhook.test delivery to the endpoint",
    tags=TAGS,
    description="Queued, signed, retried and logged like every delivery.",
    responses=documented_responses(202, "Queued; its id is the webhook-id it carries", 401, 404),
)
def test_webhook(webhook_id: WebhookIdParameter) -> QueuedDelivery:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    return QueuedDelivery(delivery_id=redelivery.send_test(endpoint).delivery_id)


@router.post(
    "/webhooks/<webhook_id>/recover",
    status_code=202,
    summary="Resend every delivery that failed or was skipped since a time",
    tags=TAGS,
    description="Each is sent once more with its own webhook-id, on a fresh retry schedule.",
    responses=documented_responses(202, "How many deliveries were queued", 400, 401, 404, 415),
)
def recover_webhook(
    webhook_id: WebhookIdParameter, request: Annotated[RecoverRequest, Body()]
) -> Queued:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    return Queued(queued=redelivery.recover(endpoint, to_iso(request.since)))


@router.get(
    "/webhooks/<webhook_id>/deliveries",
    summary="An endpoint's delivery log, newest first",
    tags=TAGS,
    responses=documented_responses(200, "One page of the endpoint's deliveries", 400, 401, 404),
)
def list_deliveries(
    webhook_id: WebhookIdParameter,
    limit: Annotated[
        int, Query(ge=1, le=MAX_DELIVERIES_SHOWN, description="Page size")
    ] = MAX_DELIVERIES_SHOWN,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page"),
    ] = None,
) -> WebhookDeliveryList:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    page = delivery_log.page_for_endpoint(endpoint.endpoint_id, limit, cursor)
    return WebhookDeliveryList(
        items=[WebhookDelivery.of(delivery) for delivery in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>",
    summary="One delivery with its attempts",
    tags=TAGS,
    responses=documented_responses(200, "The delivery", 401, 404),
)
def get_delivery(
    webhook_id: WebhookIdParameter, delivery_id: DeliveryIdParameter
) -> WebhookDeliveryDetail:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    return WebhookDeliveryDetail.of(_callers_delivery(endpoint, delivery_id))


@router.post(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>/resend",
    status_code=202,
    summary="Deliver one delivery again, with the same webhook-id",
    tags=TAGS,
    responses=documented_responses(202, "Queued", 401, 404, 409),
)
def resend_delivery(
    webhook_id: WebhookIdParameter, delivery_id: DeliveryIdParameter
) -> QueuedDelivery:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    delivery = _callers_delivery(endpoint, delivery_id)
    try:
        redelivery.resend(endpoint, delivery)
    except redelivery.StillBeingTried as error:
        raise Problem(
            409,
            "the delivery is still being tried; resend it once it is delivered or failed",
            slug="delivery-pending",
        ) from error
    return QueuedDelivery(delivery_id=delivery.delivery_id)
