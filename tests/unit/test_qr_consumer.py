"""The QR consumer: both images while the link exists, none after, once per change, any order."""

from __future__ import annotations

from typing import Any

import boto3

from shortener import aws_clients, effects
from shortener.consumers import qr
from tests.unit.consumer_events import (
    Handler,
    created,
    deleted,
    failed_message_ids,
    sqs_event,
    updated,
)
from tests.unit.consumers_fixtures import decode_qr

pytest_plugins = ["tests.unit.consumers_fixtures"]

CODE = "qrCode1"


def writes(bucket: str) -> dict[str, int]:
    """How many times each key was written (object versions, delete markers aside)."""
    listing = boto3.client("s3").list_object_versions(Bucket=bucket)
    counts: dict[str, int] = {}
    for version in listing.get("Versions", []):
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def current_keys(bucket: str) -> set[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def read(bucket: str, key: str) -> dict[str, Any]:
    return dict(boto3.client("s3").get_object(Bucket=bucket, Key=key))


def run(handler: Handler, context: Any, *events: Any) -> list[str]:
    return failed_message_ids(handler(sqs_event(*events), context))


def test_created_link_gets_png_and_svg_of_its_short_url(qr_consumer, qr_bucket, lambda_context):
    event = created(CODE)

    assert run(qr_consumer, lambda_context, event) == []

    png = read(qr_bucket, f"qr/{CODE}.png")
    svg = read(qr_bucket, f"qr/{CODE}.svg")
    assert png["ContentType"] == "image/png"
    # The short URL marked as a scan, which click analytics count as a QR scan.
    assert decode_qr(png["Body"].read()) == f"{event.link.short_url}?qr=1"
    assert event.link.short_url == f"https://sho.rt/{CODE}"
    assert svg["ContentType"] == "image/svg+xml"
    assert svg["Body"].read().lstrip().startswith(b"<svg")
    status = effects.current(CODE, "qr")
    assert status is not None
    assert (status.state, status.version) == ("done", event.link.updated_at)


def test_the_same_event_twice_writes_once(qr_consumer, qr_bucket, lambda_context):
    event = created(CODE)

    assert run(qr_consumer, lambda_context, event) == []
    # A redelivery, then a DLQ redrive: new message ids, the same event.
    assert run(qr_consumer, lambda_context, event) == []
    assert run(qr_consumer, lambda_context, event, event) == []

    assert writes(qr_bucket) == {f"qr/{CODE}.png": 1, f"qr/{CODE}.svg": 1}


def test_an_update_keeps_the_images_without_writing_them_again(
    qr_consumer, qr_bucket, lambda_context
):
    first = created(CODE)
    change = updated(first, updated_at="2026-11-26T11:00:00.000000Z", url="https://example.org/")

    assert run(qr_consumer, lambda_context, first, change) == []

    assert writes(qr_bucket) == {f"qr/{CODE}.png": 1, f"qr/{CODE}.svg": 1}
    status = effects.current(CODE, "qr")
    assert status is not None
    assert (status.state, status.version) == ("done", change.link.updated_at)


def test_an_update_processed_before_its_create_writes_the_images(
    qr_consumer, qr_bucket, lambda_context
):
    first = created(CODE)
    change = updated(first, updated_at="2026-11-26T11:00:00.000000Z", url="https://example.org/")

    assert run(qr_consumer, lambda_context, change) == []
    assert run(qr_consumer, lambda_context, first) == []

    assert writes(qr_bucket) == {f"qr/{CODE}.png": 1, f"qr/{CODE}.svg": 1}


def test_a_deleted_link_loses_both_images(qr_consumer, qr_bucket, lambda_context):
    first = created(CODE)
    assert run(qr_consumer, lambda_context, first) == []

    assert run(qr_consumer, lambda_context, deleted(first)) == []

    assert current_keys(qr_bucket) == set()


def test_a_delete_processed_before_its_create_and_update_leaves_no_image(
    qr_consumer, qr_bucket, lambda_context
):
    first = created(CODE)
    change = updated(first, updated_at="2026-11-26T11:00:00.000000Z", redirect_type=301)
    gone = deleted(change)

    assert run(qr_consumer, lambda_context, gone) == []
    assert run(qr_consumer, lambda_context, first, change) == []
    assert run(qr_consumer, lambda_context, first) == []  # and once more, after a redrive

    assert writes(qr_bucket) == {}
    status = effects.current(CODE, "qr")
    assert status is not None
    assert status.version == effects.version_of(gone)


def test_a_link_created_again_with_a_deleted_code_gets_images(
    qr_consumer, qr_bucket, lambda_context
):
    first = created(CODE)
    again = created(CODE, created_at="2026-11-27T09:00:00.000000Z")

    assert run(qr_consumer, lambda_context, first, deleted(first), again) == []

    assert current_keys(qr_bucket) == {f"qr/{CODE}.png", f"qr/{CODE}.svg"}


def test_a_deletion_during_the_write_leaves_no_image(qr_consumer, qr_bucket, lambda_context):
    first = created(CODE)
    gone = deleted(first)
    client = aws_clients.client("s3")

    def delete_concurrently(**_: Any) -> None:
        # Another invocation applies the deletion between our write and our re-check.
        client.meta.events.unregister("after-call.s3.PutObject", delete_concurrently)
        qr.apply_qr(gone)

    client.meta.events.register("after-call.s3.PutObject", delete_concurrently)
    try:
        assert run(qr_consumer, lambda_context, first) == []
    finally:
        client.meta.events.unregister("after-call.s3.PutObject", delete_concurrently)

    assert current_keys(qr_bucket) == set()


def test_a_malformed_message_fails_alone(qr_consumer, qr_bucket, lambda_context):
    good = created(CODE)
    batch = sqs_event("{not json", good, '{"detail": {"id": "evt_1"}}')
    poison = [batch["Records"][0]["messageId"], batch["Records"][2]["messageId"]]

    response = qr_consumer(batch, lambda_context)

    assert failed_message_ids(response) == poison
    assert current_keys(qr_bucket) == {f"qr/{CODE}.png", f"qr/{CODE}.svg"}
