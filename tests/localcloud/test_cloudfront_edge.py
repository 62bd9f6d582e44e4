"""The served CDN, on a template of its own (fixtures/cdn): behaviours in CloudFront's
precedence, the cache key and TTLs of its cache policies, Hit/Miss/Age, invalidations through
the CloudFront API, and S3 origins read through Origin Access Control."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloudfront import Origins
from localcloud.cloudfront.messages import Request
from tests.localcloud.support import eventually

CDN_FIXTURE = Path(__file__).parent / "fixtures" / "cdn"


@pytest.fixture(scope="module")
def cdn() -> Iterator[LocalCloud]:
    with LocalCloud(CDN_FIXTURE, log_stream=io.StringIO(), echo_logs=False) as cloud:
        assert cloud.wait_warm(60)
        yield cloud


def get(cloud: LocalCloud, path: str, method: str = "GET", **kwargs: Any) -> requests.Response:
    return requests.request(
        method, cloud.cdn_url + path, allow_redirects=False, timeout=30, **kwargs
    )


def fetch_id(response: requests.Response) -> str:
    """Each origin call answers with a fresh id: the same id twice means a cached answer."""
    return str(response.json()["fetch"])


def aws(cloud: LocalCloud, service: str) -> Any:
    assert cloud.aws is not None
    return cloud.aws(service)


def invalidate(cloud: LocalCloud, *paths: str, reference: str) -> None:
    aws(cloud, "cloudfront").create_invalidation(
        DistributionId=cloud.outputs["DistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": list(paths)},
            "CallerReference": reference,
        },
    )


def test_a_miss_then_a_hit_labelled_as_cloudfront_labels_them(cdn: LocalCloud) -> None:
    first = get(cdn, "/label")
    second = get(cdn, "/label")

    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "Miss from cloudfront"
    assert "Age" not in first.headers
    assert second.headers["X-Cache"] == "Hit from cloudfront"
    assert int(second.headers["Age"]) >= 0
    assert fetch_id(second) == fetch_id(first)
    for response in (first, second):
        assert response.headers["Via"].endswith(".cloudfront.net (CloudFront)")
        assert response.headers["X-Amz-Cf-Id"]
    assert first.headers["X-Amz-Cf-Id"] != second.headers["X-Amz-Cf-Id"]


def test_behaviours_apply_in_their_order_and_the_default_last(cdn: LocalCloud) -> None:
    # /manage and /manage/* are never cached; /managed only starts alike: the cached default.
    for path in ("/manage", "/manage/links"):
        assert fetch_id(get(cdn, path)) != fetch_id(get(cdn, path))
    assert get(cdn, "/managed").headers["X-Cache"] == "Miss from cloudfront"
    assert get(cdn, "/managed").headers["X-Cache"] == "Hit from cloudfront"
    # /files/* is listed before /*.txt, so a text file under /files/ comes from the bucket.
    from_bucket = get(cdn, "/files/readme.txt")
    assert from_bucket.status_code == 403
    assert "<Code>AccessDenied</Code>" in from_bucket.text
    assert get(cdn, "/notes.txt").json()["path"] == "/notes.txt"


def test_the_api_origin_gets_its_origin_path_and_only_what_the_policies_forward(
    cdn: LocalCloud,
) -> None:
    headers = {"User-Agent": "tester/1", "X-Variant": "a", "X-Other": "b", "Authorization": "k"}
    cached = get(cdn, "/forwarded?v=1&other=2", headers=headers).json()
    passed = get(cdn, "/manage/forwarded?v=1&other=2", headers=headers).json()

    # The stage's resource path, reached through the origin path /live.
    assert cached["path"] == "/forwarded"
    # The cache policy's query strings and headers reach the origin, nothing else does.
    assert cached["query"] == {"v": "1"}
    assert cached["headers"]["X-Variant"] == "a"
    assert "X-Other" not in cached["headers"]
    assert "Authorization" not in cached["headers"]
    assert cached["headers"]["User-Agent"] == "Amazon CloudFront"
    assert cached["headers"]["Via"].endswith("(CloudFront)")
    assert "X-Amz-Cf-Id" in cached["headers"]
    # AllViewerExceptHostHeader forwards the viewer's headers and query strings.
    assert passed["query"] == {"v": "1", "other": "2"}
    assert passed["headers"]["Authorization"] == "k"
    assert passed["headers"]["User-Agent"] == "tester/1"


def test_the_cache_key_holds_the_policys_query_strings_and_headers_only(cdn: LocalCloud) -> None:
    base = fetch_id(get(cdn, "/key?v=1"))

    assert fetch_id(get(cdn, "/key?v=1&ignored=yes")) == base
    assert fetch_id(get(cdn, "/key?v=2")) != base
    assert fetch_id(get(cdn, "/key?v=1", headers={"X-Variant": "b"})) != base
    assert fetch_id(get(cdn, "/key?v=1", headers={"X-Other": "b"})) == base


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("cache_control=no-store", False),
        ("cache_control=private", False),
        ("cache_control=max-age%3D0", False),
        ("cache_control=max-age%3D30", True),
        ("status=307&location=https://example.com/", False),  # no Cache-Control: not cached
        ("status=307&location=https://example.com/&cache_control=max-age%3D30", True),
        ("status=302&location=https://example.com/", True),  # DefaultTTL
    ],
)
def test_what_the_origin_says_decides_whether_an_answer_is_cached(
    cdn: LocalCloud, query: str, cached: bool
) -> None:
    path = f"/ttl?{query}"
    first, second = get(cdn, path), get(cdn, path)

    assert first.headers["X-Cache"] == "Miss from cloudfront"
    assert second.headers["X-Cache"] == ("Hit" if cached else "Miss") + " from cloudfront"


def test_errors_are_labelled_errors_and_cached_briefly(cdn: LocalCloud) -> None:
    first, second = get(cdn, "/missing?status=404"), get(cdn, "/missing?status=404")

    assert first.status_code == second.status_code == 404
    assert first.headers["X-Cache"] == second.headers["X-Cache"] == "Error from cloudfront"
    assert fetch_id(second) == fetch_id(first)
    assert "Age" in second.headers


def test_a_method_the_behaviour_does_not_allow_is_cloudfronts_403(cdn: LocalCloud) -> None:
    refused = get(cdn, "/anything", method="POST", data=b"{}")
    allowed = get(cdn, "/manage/anything", method="POST", data=b"{}")

    assert refused.status_code == 403
    assert refused.headers["X-Cache"] == "Error from cloudfront"
    assert "not configured to allow the HTTP request method" in refused.text
    assert allowed.status_code == 200
    assert allowed.json()["method"] == "POST"


def test_an_invalidation_purges_the_paths_it_names_as_soon_as_it_returns(
    cdn: LocalCloud,
) -> None:
    kept = fetch_id(get(cdn, "/other"))
    plain, variant = fetch_id(get(cdn, "/purge")), fetch_id(get(cdn, "/purge?v=1"))

    invalidate(cdn, "/purge", reference="exact")
    # Only the answer without a query string: a query string is a path of its own.
    assert fetch_id(get(cdn, "/purge")) != plain
    assert fetch_id(get(cdn, "/purge?v=1")) == variant

    invalidate(cdn, "/pur*", reference="wildcard")
    assert fetch_id(get(cdn, "/purge?v=1")) != variant
    assert fetch_id(get(cdn, "/other")) == kept


def test_a_repeated_caller_reference_purges_nothing_again(cdn: LocalCloud) -> None:
    invalidate(cdn, "/again", reference="once")
    cached = fetch_id(get(cdn, "/again"))

    invalidate(cdn, "/again", reference="once")

    assert fetch_id(get(cdn, "/again")) == cached


def test_an_s3_origin_serves_objects_the_bucket_policy_grants_to_the_distribution(
    cdn: LocalCloud,
) -> None:
    for bucket, key in (
        (cdn.outputs["FilesBucketName"], "files/a.png"),
        (cdn.outputs["ClosedBucketName"], "closed/a.png"),
    ):
        aws(cdn, "s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=b"PNG",
            ContentType="image/png",
            CacheControl="public, max-age=86400",
        )

    first, second = get(cdn, "/files/a.png"), get(cdn, "/files/a.png")
    closed = get(cdn, "/closed/a.png")
    missing = get(cdn, "/files/none.png")

    assert first.status_code == 200
    assert first.content == b"PNG"
    assert first.headers["Content-Type"] == "image/png"
    assert first.headers["Cache-Control"] == "public, max-age=86400"
    assert first.headers["ETag"]
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == (
        "Miss from cloudfront",
        "Hit from cloudfront",
    )
    # No grant to this distribution: S3's refusal, passed on. A missing key is refused alike
    # (the policy grants no s3:ListBucket).
    for refused in (closed, missing):
        assert refused.status_code == 403
        assert refused.headers["Content-Type"] == "application/xml"
        assert "<Code>AccessDenied</Code>" in refused.text


def test_the_start_up_report_says_how_the_distribution_is_served(cdn: LocalCloud) -> None:
    (line,) = [line for line in cdn.report_lines if line.startswith("Distribution ")]

    assert f"emulated (served on {cdn.cdn_url}" in line
    assert "viewer protocol policy not enforced: no TLS locally" in line
    assert f"CDN        {cdn.cdn_url}" in cdn.report_lines


def test_without_iam_checks_an_s3_origin_reads_whatever_the_bucket_holds(
    cdn: LocalCloud,
) -> None:
    assert cdn.aws is not None
    assert cdn.cdn is not None
    distribution = cdn.cdn.distribution
    closed = distribution.behavior_for("/closed/a.png").origin
    aws(cdn, "s3").put_object(Bucket=cdn.outputs["ClosedBucketName"], Key="closed/b.png", Body=b"B")
    request = Request("GET", "/closed/b.png")

    checked = Origins(cdn.aws, {}, distribution.arn).fetch(closed, request)
    unchecked = Origins(cdn.aws, {}, distribution.arn, check_bucket_policies=False).fetch(
        closed, request
    )

    assert checked.status == 403
    assert (unchecked.status, unchecked.body) == (200, b"B")


def test_an_expired_answer_the_origin_confirms_unchanged_is_a_refresh_hit(
    cdn: LocalCloud,
) -> None:
    aws(cdn, "s3").put_object(
        Bucket=cdn.outputs["FilesBucketName"],
        Key="files/short-lived.txt",
        Body=b"same",
        CacheControl="max-age=1",  # CachingOptimized's MinTTL
    )
    assert get(cdn, "/files/short-lived.txt").headers["X-Cache"] == "Miss from cloudfront"

    # Once it expires, the edge asks S3 with If-None-Match, and S3's 304 keeps the copy.
    def expired() -> list[requests.Response]:
        answer = get(cdn, "/files/short-lived.txt")
        return [answer] if answer.headers["X-Cache"] != "Hit from cloudfront" else []

    (refreshed,) = eventually(expired, 10, "the cached copy to expire")

    assert refreshed.headers["X-Cache"] == "RefreshHit from cloudfront"
    assert refreshed.content == b"same"
