"""The CDN consumer: one invalidation per batch, of the paths whose cached answer went stale."""

from __future__ import annotations

from typing import Any

import boto3

from shortener import effects
from shortener.consumers.cdn import caller_reference
from tests.unit.consumer_events import (
    created,
    deleted,
    failed_message_ids,
    sqs_event,
    updated,
)

pytest_plugins = ["tests.unit.consumers_fixtures"]

LATER = "2026-11-26T11:00:00.000000Z"


def invalidations(distribution_id: str) -> list[dict[str, Any]]:
    """Every invalidation of the distribution: {"reference", "paths"}."""
    cloudfront = boto3.client("cloudfront")
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    found = []
    for summary in listing.get("Items", []):
        batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])[
            "Invalidation"
        ]["InvalidationBatch"]
        found.append({"reference": batch["CallerReference"], "paths": batch["Paths"]["Items"]})
    return found


def test_one_invalidation_holds_every_stale_path_of_the_batch(
    cdn_consumer, distribution_id, lambda_context
):
    edited = created("edited1")
    removed = created("removed")
    batch = sqs_event(
        updated(edited, updated_at=LATER, url="https://example.org/"),
        deleted(removed),
        created("my-alias"),  # a custom alias: a 404 may be cached for it
        created("Gen3rat"),  # a generated code: nothing can be cached yet
    )

    assert failed_message_ids(cdn_consumer(batch, lambda_context)) == []

    (invalidation,) = invalidations(distribution_id)
    assert sorted(invalidation["paths"]) == [
        "/edited1",
        "/my-alias",
        "/qr/edited1.*",
        "/qr/removed.*",
        "/removed",
    ]
    assert invalidation["reference"].startswith("batch_")
    generated = effects.current("Gen3rat", "cdn")
    assert generated is not None
    assert generated.state == "skipped"
    alias = effects.current("my-alias", "cdn")
    assert alias is not None
    assert alias.state == "done"


def test_a_single_event_is_its_own_caller_reference(cdn_consumer, distribution_id, lambda_context):
    change = updated(created("single1"), updated_at=LATER, redirect_type=301)

    assert failed_message_ids(cdn_consumer(sqs_event(change), lambda_context)) == []

    assert invalidations(distribution_id) == [
        {"reference": change.id, "paths": ["/qr/single1.*", "/single1"]}
    ]


def test_the_caller_reference_of_a_batch_depends_on_its_events_only():
    ids = ["evt_b", "evt_a", "evt_c"]

    assert caller_reference(ids) == caller_reference(sorted(ids)) == caller_reference(ids + ids)
    assert caller_reference(ids) != caller_reference(ids[:2])


def test_a_repeated_or_regrouped_batch_invalidates_nothing_more(
    cdn_consumer, distribution_id, lambda_context
):
    one = updated(created("first12"), updated_at=LATER, url="https://example.org/1")
    two = deleted(created("second1"))

    for batch in (sqs_event(one, two), sqs_event(one, two), sqs_event(two), sqs_event(one)):
        assert failed_message_ids(cdn_consumer(batch, lambda_context)) == []

    assert len(invalidations(distribution_id)) == 1


def test_an_update_arriving_after_the_deletion_needs_nothing(
    cdn_consumer, distribution_id, lambda_context
):
    first = created("gone123")
    change = updated(first, updated_at=LATER, url="https://example.org/")

    assert failed_message_ids(cdn_consumer(sqs_event(deleted(change)), lambda_context)) == []
    assert failed_message_ids(cdn_consumer(sqs_event(change), lambda_context)) == []

    assert [item["paths"] for item in invalidations(distribution_id)] == [
        ["/gone123", "/qr/gone123.*"]
    ]


def test_a_failed_invalidation_retries_its_records_only(
    cdn_consumer, distribution_id, lambda_context, monkeypatch
):
    batch = sqs_event(created("my-alias"), created("Gen3rat"))
    monkeypatch.setenv("DISTRIBUTION_ID", "EDOESNOTEXIST")

    response = cdn_consumer(batch, lambda_context)

    assert failed_message_ids(response) == [batch["Records"][0]["messageId"]]
    status = effects.current("my-alias", "cdn")
    assert status is not None
    assert (status.state, status.attempts) == ("failed", 1)

    monkeypatch.setenv("DISTRIBUTION_ID", distribution_id)
    assert failed_message_ids(cdn_consumer(batch, lambda_context)) == []
    assert [item["paths"] for item in invalidations(distribution_id)] == [["/my-alias"]]


def test_a_malformed_message_fails_alone(cdn_consumer, distribution_id, lambda_context):
    batch = sqs_event("[]", deleted(created("poison1")))

    assert failed_message_ids(cdn_consumer(batch, lambda_context)) == [
        batch["Records"][0]["messageId"]
    ]
    assert [item["paths"] for item in invalidations(distribution_id)] == [
        ["/poison1", "/qr/poison1.*"]
    ]
