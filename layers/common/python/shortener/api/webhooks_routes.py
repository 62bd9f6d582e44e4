"""Routes of the management API for webhook endpoints and their delivery logs (docs/webhooks.md)."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shortener import settings
from shortener.api.caller import current_owner
from shortener.api.problem_responses import documented_responses
from shortener.events import EventType
from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.problems import Problem, not_found
from shortener.webhooks import delivery_log, endpoints, ssrf

router = Router()

ENDPOINT_ID = re.compile(r"ep_[0-9a-f]{16}")
TAGS = ["webhooks"]
MAX_DELIVERIES_SHOWN = 100
WebhookIdParameter = Annotated[str, Path(description="The endpoint's id (ep_...)")]


class WebhookSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=1, max_length=ssrf.MAX_URL_LENGTH)]
    # uniqueItems: the validator below refuses a repeated event type.
    events: Annotated[list[EventType], Field(min_length=1, json_schema_extra={"uniqueItems": True})]

    @field_validator("events")
    @classmethod
    def _no_duplicates(cls, events: list[EventType]) -> list[EventType]:
        if len(set(events)) != len(events):
            raise ValueError("events must not repeat an event type")
        return events


class WebhookEndpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    consecutive_failures: int
    created_at: str
    disabled_at: str | None

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
        )


class NewWebhookEndpoint(WebhookEndpoint):
    secret: Annotated[str, Field(description="Signing secret (whsec_...); shown only here, once")]


class WebhookEndpointList(BaseModel):
    items: list[WebhookEndpoint]


class WebhookDelivery(BaseModel):
    delivery_id: Annotated[str, Field(description="The webhook-id header of the delivery")]
    event_id: str
    event_type: str
    code: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    state: Annotated[str, Field(description="pending, delivered, failed or skipped")]
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
            updated_at=delivery.updated_at,
        )


class WebhookDeliveryList(BaseModel):
    items: list[WebhookDelivery]


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
        raise Problem(
            422,
            str(error),
            slug="unsafe-webhook-url",
            errors=[{"pointer": "#/url", "detail": str(error)}],
        ) from error
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


@router.get(
    "/webhooks/<webhook_id>/deliveries",
    summary="An endpoint's delivery log, newest first",
    tags=TAGS,
    responses=documented_responses(200, "The endpoint's deliveries", 401, 404),
)
def list_deliveries(
    webhook_id: WebhookIdParameter,
    limit: Annotated[
        int, Query(ge=1, le=MAX_DELIVERIES_SHOWN, description="How many of the newest to show")
    ] = MAX_DELIVERIES_SHOWN,
) -> WebhookDeliveryList:
    endpoint = _callers_endpoint(current_owner(router), webhook_id)
    deliveries = delivery_log.list_for_endpoint(endpoint.endpoint_id)[:limit]
    return WebhookDeliveryList(items=[WebhookDelivery.of(delivery) for delivery in deliveries])
