"""CloudFront caches the redirect, serves the QR images from the private bucket through OAC, and
passes the management API through untouched."""

from __future__ import annotations

import pytest
from aws_cdk import aws_cloudfront as cloudfront
from stack_template import StackTemplate

from shortener.links import codes

MANAGEMENT_PATTERNS = [
    "/links",
    "/links/*",
    "/webhooks",
    "/webhooks/*",
    "/stats",
    "/stats/*",
    "/docs",
    "/docs/*",
    "/openapi.json",
]
QR_PATTERN = "/qr/*"


def _config(synth: StackTemplate) -> dict:
    return synth.props("Distribution")["DistributionConfig"]


def _behaviors(synth: StackTemplate) -> dict[str, dict]:
    return {b["PathPattern"]: b for b in _config(synth)["CacheBehaviors"]}


def _origin(synth: StackTemplate, origin_id: str) -> dict:
    return next(o for o in _config(synth)["Origins"] if o["Id"] == origin_id)


def _redirect_cache_policy(synth: StackTemplate) -> dict:
    ((_, policy),) = synth.of_type("AWS::CloudFront::CachePolicy").items()
    return policy["Properties"]["CachePolicyConfig"]


@pytest.mark.parametrize(("synth_name", "ttl"), [("dev", 60), ("prod", 300)])
def test_redirects_are_cached_for_the_stage_ttl_keyed_on_the_path_and_the_phone_platform(
    request: pytest.FixtureRequest, synth_name: str, ttl: int
) -> None:
    synth: StackTemplate = request.getfixturevalue(synth_name)
    default = _config(synth)["DefaultCacheBehavior"]
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["CachedMethods"] == ["GET", "HEAD"]
    policy = _redirect_cache_policy(synth)
    assert policy["DefaultTTL"] == ttl
    assert policy["MaxTTL"] == ttl
    # MinTTL 0: a usage-limited link's `private, no-store` keeps it out of the cache.
    assert policy["MinTTL"] == 0
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    # Device targets: iOS, Android and the rest never share a cached answer.
    assert key["HeadersConfig"] == {
        "HeaderBehavior": "whitelist",
        "Headers": ["CloudFront-Is-IOS-Viewer", "CloudFront-Is-Android-Viewer"],
    }
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_the_redirect_gets_the_viewers_user_agent_outside_the_cache_key(
    dev: StackTemplate,
) -> None:
    default = _config(dev)["DefaultCacheBehavior"]
    ((logical_id, policy),) = dev.of_type("AWS::CloudFront::OriginRequestPolicy").items()
    assert default["OriginRequestPolicyId"] == {"Ref": logical_id}
    config = policy["Properties"]["OriginRequestPolicyConfig"]
    assert config["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["User-Agent"]}
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_management_routes_are_never_cached_and_get_every_method_and_header(
    dev: StackTemplate,
) -> None:
    behaviors = _behaviors(dev)
    assert sorted(behaviors) == sorted([*MANAGEMENT_PATTERNS, QR_PATTERN])
    for pattern in MANAGEMENT_PATTERNS:
        behavior = behaviors[pattern]
        assert behavior["CachePolicyId"] == cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
        assert (
            behavior["OriginRequestPolicyId"]
            == cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id
        )
        assert set(behavior["AllowedMethods"]) == {
            "GET",
            "HEAD",
            "OPTIONS",
            "PUT",
            "PATCH",
            "POST",
            "DELETE",
        }
        assert behavior["ViewerProtocolPolicy"] == "https-only"


def test_every_behaviour_but_the_qr_images_reaches_the_api_stage(dev: StackTemplate) -> None:
    config = _config(dev)
    api = _origin(dev, config["DefaultCacheBehavior"]["TargetOriginId"])
    assert api["OriginPath"] == "/dev"
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    targets = {b["TargetOriginId"] for p, b in _behaviors(dev).items() if p != QR_PATTERN}
    assert targets == {api["Id"]}


def test_an_alias_is_reserved_exactly_when_the_cdn_routes_its_path_elsewhere(
    dev: StackTemplate,
) -> None:
    # Every pattern is `/{segment}` or `/{segment}/*`: nothing else starting alike is caught.
    for pattern in _behaviors(dev):
        assert pattern.count("*") <= 1
        assert pattern.endswith("/*") or "*" not in pattern
    first_segments = {pattern.split("/")[1] for pattern in _behaviors(dev)}
    assert first_segments == codes.RESERVED_PATHS
    assert not any(codes.is_reserved(alias) for alias in ("linkshare", "statsy", "qrcode"))


def test_qr_images_come_from_the_private_bucket_through_origin_access_control(
    dev: StackTemplate,
) -> None:
    behavior = _behaviors(dev)[QR_PATTERN]
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["CachePolicyId"] == cloudfront.CachePolicy.CACHING_OPTIMIZED.cache_policy_id
    origin = _origin(dev, behavior["TargetOriginId"])
    assert origin["DomainName"] == {"Fn::GetAtt": ["QrBucket", "RegionalDomainName"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    (control_id,) = dev.of_type("AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [control_id, "Id"]}
    assert dev.props("QrBucket")["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"]

    (policy,) = (
        p["Properties"]["PolicyDocument"]
        for p in dev.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "QrBucket"}
    )
    (grant,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    source_arn = grant["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert {"Ref": "Distribution"} in source_arn["Fn::Join"][1]


def test_access_is_logged(dev: StackTemplate) -> None:
    logging = _config(dev)["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["AccessLogsBucket", "RegionalDomainName"]}
