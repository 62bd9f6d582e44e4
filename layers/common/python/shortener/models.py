"""The items of the Shortener tables (see docs/architecture.md, "Tables").

Table names come from the environment the stack sets; `bind_table_names` lets a tool that finds
them elsewhere (the ops CLI, the benchmarks) point the models at them.
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from shortener.aws_clients import BoundedCalls

LINK_SK = "link"
TAG_SK_PREFIX = "tag#"
EFFECT_SK_PREFIX = "effect#"
EFFECT_NAMES = ("qr", "stats", "email", "webhooks", "cdn")
CONDITION_FAILED = "ConditionalCheckFailedException"


def condition_failed(error: PynamoDBException) -> bool:
    """True when a conditional write was refused because its condition did not hold."""
    return error.cause_response_code == CONDITION_FAILED


class LinksByOwner(GlobalSecondaryIndex["LinkModel"]):
    """An owner's links, newest first when queried with scan_index_forward=False."""

    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class LinkModel(Model):
    class Meta(BoundedCalls):
        table_name = os.environ.get("LINKS_TABLE_NAME", "Links")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=LINK_SK)
    code = UnicodeAttribute()
    owner = UnicodeAttribute()
    url = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    redirect_type = NumberAttribute(default=302)
    # The optional link features (docs/api.md); absent when unused, so a plain link's item, and
    # the redirect's read of it, stay as small as before.
    tags = ListAttribute[str](null=True)  # of plain strings
    utm = MapAttribute[str, Any](null=True)
    max_clicks = NumberAttribute(null=True)
    # Human clicks used up so far: only the redirect writes it (one conditional update).
    clicks_used = NumberAttribute(null=True)
    fallback_url = UnicodeAttribute(null=True)
    targets = MapAttribute[str, Any](null=True)

    by_owner = LinksByOwner()


class LinksByTag(GlobalSecondaryIndex["LinkTagModel"]):
    """An owner's links with one tag, newest first; keys only (the links are read by key)."""

    class Meta:
        index_name = "by_tag"
        projection = KeysOnlyProjection()

    tag_key = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class LinkTagModel(Model):
    """One tag of one link, beside the link's item (`pk` = its code), so the by_tag index can
    list an owner's links by tag without a scan. It carries no `owner`, so the by_owner index
    never sees it, and its sort key is not `link`, so no link event streams from it."""

    class Meta(BoundedCalls):
        table_name = os.environ.get("LINKS_TABLE_NAME", "Links")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tag_key = UnicodeAttribute()
    created_at = UnicodeAttribute()

    by_tag = LinksByTag()

    @staticmethod
    def sort_key(tag: str) -> str:
        return f"{TAG_SK_PREFIX}{tag}"

    @staticmethod
    def index_key(owner: str, tag: str) -> str:
        # Tags never hold `#`, so the owner's part ends at the last one.
        return f"{owner}#{tag}"


class EffectStatusModel(Model):
    """What one side effect has done for one link; never streamed as a link event."""

    class Meta(BoundedCalls):
        table_name = os.environ.get("LINKS_TABLE_NAME", "Links")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    effect = UnicodeAttribute()
    state = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    event_id = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    last_error = UnicodeAttribute(null=True)
    version = UnicodeAttribute(null=True)
    detail = MapAttribute[str, Any](null=True)

    @staticmethod
    def sort_key(effect: str) -> str:
        return f"{EFFECT_SK_PREFIX}{effect}"


class DailyStatsModel(Model):
    class Meta(BoundedCalls):
        table_name = os.environ.get("LINKS_TABLE_NAME", "Links")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    deleted = NumberAttribute(default=0)

    @staticmethod
    def partition_key(owner: str) -> str:
        return f"stats#{owner}"

    @staticmethod
    def sort_key(day: str) -> str:
        return f"day#{day}"


class KeysByKeyId(GlobalSecondaryIndex["ApiKeyModel"]):
    class Meta:
        index_name = "by_key_id"
        projection = AllProjection()

    key_id = UnicodeAttribute(hash_key=True)


class KeysByOwner(GlobalSecondaryIndex["ApiKeyModel"]):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ApiKeyModel(Model):
    """An API key, stored only as its SHA-256 hash."""

    class Meta(BoundedCalls):
        table_name = os.environ.get("KEYS_TABLE_NAME", "ApiKeys")

    key_hash = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    # The usage plan (cdk.json `plans`) and scopes (shortener.scopes) of the key; keys made
    # before plans have neither: all scopes, and no plan until `ops keys set-plan`.
    plan = UnicodeAttribute(null=True)
    scopes = ListAttribute[str](null=True)  # of plain strings
    # The API Gateway API key that meters this key in its usage plan: its id (for ops) and its
    # value, which the authorizer returns as usageIdentifierKey. Callers never see either.
    gateway_key_id = UnicodeAttribute(null=True)
    gateway_key_value = UnicodeAttribute(null=True)

    by_key_id = KeysByKeyId()
    by_owner = KeysByOwner()


class WebhookEndpointModel(Model):
    class Meta(BoundedCalls):
        table_name = os.environ.get("WEBHOOKS_TABLE_NAME", "Webhooks")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    endpoint_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute[str]()  # of plain strings
    secret = UnicodeAttribute()
    created_at = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    consecutive_failures = NumberAttribute(default=0)
    disabled_at = UnicodeAttribute(null=True)
    # When the current streak of failed deliveries began (None while deliveries arrive).
    failing_since = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    # A rotation keeps the secret it replaced signing beside the new one until this time.
    previous_secret = UnicodeAttribute(null=True)
    previous_secret_expires_at = UnicodeAttribute(null=True)
    # Set with the disabling write, cleared once the owner's notice is queued.
    disable_notice_pending = BooleanAttribute(null=True)

    @staticmethod
    def partition_key(owner: str) -> str:
        return f"owner#{owner}"

    @staticmethod
    def sort_key(endpoint_id: str) -> str:
        return f"endpoint#{endpoint_id}"


class DeliveriesByTime(GlobalSecondaryIndex["WebhookDeliveryModel"]):
    """An endpoint's deliveries, newest first when queried with scan_index_forward=False."""

    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DeliveryAttempt(MapAttribute[str, Any]):
    """One attempt as the delivery log shows it; never the partner's body beyond its cap."""

    at = UnicodeAttribute()
    status_code = NumberAttribute(null=True)
    duration_ms = NumberAttribute()
    error = UnicodeAttribute(null=True)


class WebhookDeliveryModel(Model):
    class Meta(BoundedCalls):
        table_name = os.environ.get("WEBHOOKS_TABLE_NAME", "Webhooks")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    delivery_id = UnicodeAttribute()
    owner = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    code = UnicodeAttribute(null=True)
    # The event as delivered (JSON), so that a resend or a recovery can queue it again.
    event = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    attempt_log = ListAttribute[DeliveryAttempt](of=DeliveryAttempt, null=True)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    state = UnicodeAttribute(default="pending")
    next_attempt_at = UnicodeAttribute(null=True)
    # The attempt a deliverer is making now, and until when it holds it (see delivery_log).
    claimed_attempt = NumberAttribute(null=True)
    claimed_until = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # The table's TTL attribute (epoch seconds): the log keeps 30 days after the last activity.
    expires_at = NumberAttribute(null=True)

    by_time = DeliveriesByTime()

    @staticmethod
    def partition_key(endpoint_id: str) -> str:
        return f"endpoint#{endpoint_id}"

    @staticmethod
    def sort_key(delivery_id: str) -> str:
        return f"delivery#{delivery_id}"


_MODELS_BY_TABLE: dict[str, tuple[type[Model], ...]] = {
    "links": (LinkModel, LinkTagModel, EffectStatusModel, DailyStatsModel),
    "keys": (ApiKeyModel,),
    "webhooks": (WebhookEndpointModel, WebhookDeliveryModel),
}


def bind_table_names(**names: str) -> None:
    """Point the models at tables found at run time: bind_table_names(links=..., keys=...)."""
    for table, name in names.items():
        for model in _MODELS_BY_TABLE[table]:
            model.Meta.table_name = name
            model._connection = None
