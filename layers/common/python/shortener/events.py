"""Domain events (docs/events.md): what a user-visible link change looks like on the bus."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shortener.clock import to_iso
from shortener.models import LINK_SK

SOURCE = "shortener.links"
EVENT_VERSION = "1"
EventType = Literal["link.created", "link.updated", "link.deleted"]
EVENT_TYPES: tuple[str, ...] = ("link.created", "link.updated", "link.deleted")
# The link's optional features (docs/api.md): absent from an item when unused.
OPTIONAL_FIELDS = ("tags", "utm", "max_clicks", "fallback_url", "targets")
LINK_FIELDS = (
    "code",
    "url",
    "owner",
    "created_at",
    "updated_at",
    "expires_at",
    "redirect_type",
    *OPTIONAL_FIELDS,
)
# What a user sees change. Not `clicks_used`: a click on a usage-limited link is no link change.
USER_VISIBLE_FIELDS = ("url", "expires_at", "redirect_type", *OPTIONAL_FIELDS)

_TYPE_BY_STREAM_EVENT: dict[str, EventType] = {
    "INSERT": "link.created",
    "MODIFY": "link.updated",
    "REMOVE": "link.deleted",
}


class LinkSnapshot(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    url: str
    owner: str
    short_url: str
    created_at: str
    updated_at: str
    expires_at: str | None = None
    redirect_type: int = 302
    tags: list[str] = Field(default_factory=list)
    utm: dict[str, str] | None = None
    max_clicks: int | None = None
    fallback_url: str | None = None
    targets: dict[str, str] | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _no_tags(cls, value: Any) -> Any:
        # An item without tags has none: the snapshot says so with an empty list, as the API.
        return [] if value is None else value


class LinkEvent(BaseModel):
    """The `detail` of a link event; `id` is every consumer's idempotency key."""

    id: str
    type: EventType
    version: str = EVENT_VERSION
    occurred_at: str
    link: LinkSnapshot
    previous: dict[str, Any] | None = Field(default=None)


def event_id_for(stream_event_id: str) -> str:
    """The same stream record always yields the same event id, on every retry and replay."""
    return "evt_" + hashlib.sha256(stream_event_id.encode()).hexdigest()[:32]


def _plain(value: dict[str, Any]) -> Any:
    """One DynamoDB attribute value (stream JSON) as a plain Python value."""
    kind, inner = next(iter(value.items()))
    if kind == "NULL":
        return None
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() else number
    if kind == "M":
        return {key: _plain(item) for key, item in inner.items()}
    if kind == "L":
        return [_plain(item) for item in inner]
    if kind in ("SS", "NS", "BS"):
        return list(inner)
    return inner


def item_from_image(image: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(value) for name, value in image.items()}


def _snapshot(item: dict[str, Any], short_base_url: str) -> LinkSnapshot:
    fields = {name: item.get(name) for name in LINK_FIELDS}
    return LinkSnapshot.model_validate({**fields, "short_url": f"{short_base_url}/{item['code']}"})


def _visible(item: dict[str, Any]) -> dict[str, Any]:
    """The user-visible fields of an item as the snapshot shows them (no tags: `[]`)."""
    fields = {name: item.get(name) for name in USER_VISIBLE_FIELDS}
    fields["tags"] = fields["tags"] or []
    return fields


def is_link_record(record: dict[str, Any]) -> bool:
    keys = record.get("dynamodb", {}).get("Keys", {})
    return keys.get("sk", {}).get("S") == LINK_SK


def event_from_stream_record(record: dict[str, Any], short_base_url: str) -> LinkEvent | None:
    """The domain event for one DynamoDB stream record, or None when no user sees the change."""
    if not is_link_record(record):
        return None
    event_type = _TYPE_BY_STREAM_EVENT[record["eventName"]]
    change = record["dynamodb"]
    new = item_from_image(change.get("NewImage", {}))
    old = item_from_image(change.get("OldImage", {}))
    previous = None
    if event_type == "link.updated":
        before, after = _visible(old), _visible(new)
        previous = {f: before[f] for f in USER_VISIBLE_FIELDS if before[f] != after[f]}
        if not previous:
            return None
    if event_type == "link.deleted":
        link = _snapshot(old, short_base_url)
        created = change.get("ApproximateCreationDateTime")
        occurred_at = (
            to_iso(datetime.fromtimestamp(float(created), UTC)) if created else link.updated_at
        )
    else:
        link = _snapshot(new, short_base_url)
        occurred_at = link.updated_at
    return LinkEvent(
        id=event_id_for(record["eventID"]),
        type=event_type,
        occurred_at=occurred_at,
        link=link,
        previous=previous,
    )


def parse_event_message(body: str) -> LinkEvent:
    """A link event from an SQS message body holding the EventBridge event a rule delivered."""
    envelope = json.loads(body)
    detail = envelope.get("detail", envelope)
    return LinkEvent.model_validate(detail)
