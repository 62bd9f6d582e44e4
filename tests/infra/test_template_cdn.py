"""CloudFront caches only the redirect, and passes the management API through untouched."""

from __future__ import annotations

import pytest
from aws_cdk import aws_cloudfront as cloudfront
from stack_template import StackTemplate

MANAGEMENT_PATTERNS = ["/links*", "/webhooks*", "/stats*", "/openapi.json", "/docs", "/docs/*"]


def _config(synth: StackTemplate) -> dict:
    return synth.props("Distribution")["DistributionConfig"]


def _redirect_cache_policy(synth: StackTemplate) -> dict:
    ((_, policy),) = synth.of_type("AWS::CloudFront::CachePolicy").items()
    return policy["Properties"]["CachePolicyConfig"]


@pytest.mark.parametrize(("synth_name", "ttl"), [("dev", 60), ("prod", 300)])
def test_redirects_are_cached_for_the_stage_ttl_keyed_on_the_path_only(
    request: pytest.FixtureRequest, synth_name: str, ttl: int
) -> None:
    synth: StackTemplate = request.getfixturevalue(synth_name)
    default = _config(synth)["DefaultCacheBehavior"]
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["CachedMethods"] == ["GET", "HEAD"]
    assert "OriginRequestPolicyId" not in default
    policy = _redirect_cache_policy(synth)
    assert policy["DefaultTTL"] == ttl
    assert policy["MaxTTL"] == ttl
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_management_routes_are_never_cached_and_get_every_method_and_header(
    dev: StackTemplate,
) -> None:
    behaviors = {b["PathPattern"]: b for b in _config(dev)["CacheBehaviors"]}
    assert sorted(behaviors) == sorted(MANAGEMENT_PATTERNS)
    for behavior in behaviors.values():
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


def test_every_behaviour_reaches_the_api_stage(dev: StackTemplate) -> None:
    config = _config(dev)
    (origin,) = config["Origins"]
    assert origin["OriginPath"] == "/dev"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    targets = {config["DefaultCacheBehavior"]["TargetOriginId"]} | {
        b["TargetOriginId"] for b in config["CacheBehaviors"]
    }
    assert targets == {origin["Id"]}


def test_access_is_logged(dev: StackTemplate) -> None:
    logging = _config(dev)["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["AccessLogsBucket", "RegionalDomainName"]}
