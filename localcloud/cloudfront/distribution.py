"""A distribution as the template declares it: its behaviours in CloudFront's precedence (path
patterns in their order, the default last), its origins and its policies.

- https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudfront-distribution-distributionconfig.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.cloudfront.paths import matches_path_pattern
from localcloud.cloudfront.policies import (
    MANAGED_CACHE_POLICIES,
    MANAGED_ORIGIN_REQUEST_POLICIES,
    CachePolicy,
    OriginRequestPolicy,
    cache_policy,
    legacy_cache_settings,
    origin_request_policy,
)
from localcloud.names import ACCOUNT_ID, PARTITION
from localcloud.provisioning import ProvisionedResource

DEFAULT_PATTERN = "*"
_S3_DOMAIN = re.compile(r"(?P<bucket>[a-z0-9.-]+?)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com")
_API_DOMAIN = re.compile(r"(?P<api>[A-Za-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com")
_CACHING_DISABLED = MANAGED_CACHE_POLICIES["4135ea2d-6df8-44a3-9df3-4b5a84be39ad"]


@dataclass(frozen=True)
class Origin:
    id: str
    domain_name: str
    origin_path: str = ""
    bucket: str | None = None  # an S3 origin's bucket
    rest_api_id: str | None = None  # an API Gateway origin's REST API
    access_control_id: str | None = None  # Origin Access Control, for an S3 origin


@dataclass(frozen=True)
class Behavior:
    path_pattern: str
    origin: Origin
    allowed_methods: frozenset[str]
    cached_methods: frozenset[str]
    viewer_protocol_policy: str
    cache_policy: CachePolicy
    origin_request_policy: OriginRequestPolicy | None
    realtime_log_config_arn: str = ""  # the behaviour's RealtimeLogConfigArn (realtime_logs.py)


@dataclass(frozen=True)
class Distribution:
    logical_id: str
    id: str
    domain_name: str
    behaviors: tuple[Behavior, ...]  # in precedence order, the default last
    notes: tuple[str, ...] = ()
    web_acl_id: str = ""  # `WebACLId`: a WAFv2 web ACL's ARN (localcloud/cloudfront/waf.py)

    @property
    def arn(self) -> str:
        return f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:distribution/{self.id}"

    def behavior_for(self, path: str) -> Behavior:
        return next(b for b in self.behaviors if matches_path_pattern(b.path_pattern, path))


def distributions(provisioned: Mapping[str, ProvisionedResource]) -> list[Distribution]:
    """Every distribution of the stack that was created, with the policies it names."""
    cache_policies = dict(MANAGED_CACHE_POLICIES)
    request_policies = dict(MANAGED_ORIGIN_REQUEST_POLICIES)
    for item in provisioned.values():
        if item.type == "AWS::CloudFront::CachePolicy" and item.properties:
            cache_policies[item.physical_id] = cache_policy(item.properties)
        elif item.type == "AWS::CloudFront::OriginRequestPolicy" and item.properties:
            request_policies[item.physical_id] = origin_request_policy(item.properties)
    return [
        _distribution(item, cache_policies, request_policies)
        for item in provisioned.values()
        if item.type == "AWS::CloudFront::Distribution"
        and item.outcome.served_by != "skipped"
        and item.properties
    ]


def _distribution(
    item: ProvisionedResource,
    cache_policies: Mapping[str, CachePolicy],
    request_policies: Mapping[str, OriginRequestPolicy],
) -> Distribution:
    config = item.properties["DistributionConfig"]
    origins = {o["Id"]: _origin(o) for o in config.get("Origins", [])}
    notes: list[str] = []

    def behavior(props: Mapping[str, Any], pattern: str) -> Behavior:
        if "CachePolicyId" in props:
            policy = cache_policies.get(str(props["CachePolicyId"]))
            if policy is None:
                notes.append(f"cache policy {props['CachePolicyId']} unknown: not cached")
                policy = _CACHING_DISABLED
        else:
            policy = legacy_cache_settings(props)
        request_policy = None
        if "OriginRequestPolicyId" in props:
            request_policy = request_policies.get(str(props["OriginRequestPolicyId"]))
            if request_policy is None:
                notes.append(f"origin request policy {props['OriginRequestPolicyId']} unknown")
        return Behavior(
            path_pattern=pattern,
            origin=origins[props["TargetOriginId"]],
            allowed_methods=frozenset(props.get("AllowedMethods", ["GET", "HEAD"])),
            cached_methods=frozenset(props.get("CachedMethods", ["GET", "HEAD"])),
            viewer_protocol_policy=str(props.get("ViewerProtocolPolicy", "allow-all")),
            cache_policy=policy,
            origin_request_policy=request_policy,
            realtime_log_config_arn=str(props.get("RealtimeLogConfigArn") or ""),
        )

    behaviors = [behavior(b, str(b["PathPattern"])) for b in config.get("CacheBehaviors", [])]
    behaviors.append(behavior(config["DefaultCacheBehavior"], DEFAULT_PATTERN))
    return Distribution(
        logical_id=item.logical_id,
        id=item.physical_id,
        domain_name=str(item.outcome.attributes.get("DomainName", "")),
        behaviors=tuple(behaviors),
        notes=tuple(notes),
        web_acl_id=str(config.get("WebACLId") or ""),
    )


def _origin(props: Mapping[str, Any]) -> Origin:
    domain = str(props["DomainName"])
    s3 = _S3_DOMAIN.fullmatch(domain)
    api = _API_DOMAIN.fullmatch(domain)
    return Origin(
        id=str(props["Id"]),
        domain_name=domain,
        origin_path=str(props.get("OriginPath", "")).rstrip("/"),
        bucket=s3.group("bucket") if s3 and "CustomOriginConfig" not in props else None,
        rest_api_id=api.group("api") if api else None,
        access_control_id=str(props.get("OriginAccessControlId") or "") or None,
    )
