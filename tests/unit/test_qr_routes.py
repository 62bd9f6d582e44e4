"""GET /links/{code}/qr: 202 until the QR consumer has made the images, then their URLs."""

from __future__ import annotations

import os

import boto3

from tests.unit.conftest import QR_BUCKET, SHORT_BASE_URL
from tests.unit.consumer_events import Handler, published_events, sqs_event
from tests.unit.consumers_fixtures import decode_qr

pytest_plugins = ["tests.unit.consumers_fixtures"]


def publish_to(consumer: Handler, context: object) -> None:
    """Run the consumer on every link event written so far, as the pipeline would."""
    response = consumer(sqs_event(*published_events(os.environ["LINKS_TABLE_NAME"])), context)
    assert response["batchItemFailures"] == []


def test_pending_with_retry_after_until_the_images_exist_then_their_urls(
    api, qr_consumer, lambda_context
):
    assert (
        api("POST", "/links", body={"url": "https://example.com/x", "alias": "qr-me"}).status == 201
    )

    pending = api("GET", "/links/qr-me/qr")
    assert pending.status == 202
    assert pending.json() == {"status": "pending"}
    assert int(pending.headers["retry-after"]) > 0

    publish_to(qr_consumer, lambda_context)
    ready = api("GET", "/links/qr-me/qr")

    assert ready.status == 200
    assert ready.json() == {
        "status": "ready",
        "png_url": f"{SHORT_BASE_URL}/qr/qr-me.png",
        "svg_url": f"{SHORT_BASE_URL}/qr/qr-me.svg",
    }
    # Each URL's path is the key the CDN reads from the bucket.
    s3 = boto3.client("s3")
    png = s3.get_object(Bucket=QR_BUCKET, Key="qr/qr-me.png")
    assert png["ContentType"] == "image/png"
    assert "s-maxage=31536000" in png["CacheControl"]
    # A scan is told apart from a typed or clicked link by its query (docs/analytics.md).
    assert decode_qr(png["Body"].read()) == "https://sho.rt/qr-me?qr=1"
    svg = s3.get_object(Bucket=QR_BUCKET, Key="qr/qr-me.svg")
    assert svg["ContentType"] == "image/svg+xml"
    assert svg["Body"].read().lstrip().startswith(b"<svg")


def test_unknown_and_other_owners_links_are_not_found(api, qr_consumer, lambda_context):
    assert (
        api("POST", "/links", body={"url": "https://example.com/x", "alias": "mine"}).status == 201
    )
    publish_to(qr_consumer, lambda_context)

    for answer in (api("GET", "/links/mine/qr", owner="bob"), api("GET", "/links/nope/qr")):
        assert answer.status == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == 404


def test_a_new_link_on_a_deleted_alias_waits_for_its_own_images(api, qr_consumer, lambda_context):
    first = {"url": "https://example.com/1", "alias": "again"}
    assert api("POST", "/links", body=first).status == 201
    publish_to(qr_consumer, lambda_context)
    assert api("DELETE", "/links/again").status == 204
    assert api("POST", "/links", body={**first, "url": "https://example.com/2"}).status == 201

    # The first link's images still exist, but they are not this link's.
    assert api("GET", "/links/again/qr").status == 202

    publish_to(qr_consumer, lambda_context)  # its deletion, then the new link (and a duplicate)
    assert api("GET", "/links/again/qr").status == 200
