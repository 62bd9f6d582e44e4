"""CloudFront, in moto: the distribution and its origin access controls exist, and
invalidations work; `localcloud.cloudfront` serves the distribution's traffic from the template.

moto has no cache, origin request or response headers policies: those get ids only (the served
distribution reads them from the template).
"""

from __future__ import annotations

import uuid
from typing import Any

from localcloud.names import ACCOUNT_ID, PARTITION
from localcloud.provisioning.base import ProvisionContext, Provisioned, pick, provisions, skipped
from localcloud.template import Resource


@provisions("AWS::CloudFront::Distribution")
def distribution(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    config = props["DistributionConfig"]
    default_behavior = config["DefaultCacheBehavior"]
    behavior: dict[str, Any] = pick(default_behavior, "TargetOriginId", "ViewerProtocolPolicy")
    if "CachePolicyId" in default_behavior:
        behavior["CachePolicyId"] = default_behavior["CachePolicyId"]
    else:
        behavior["ForwardedValues"] = {"QueryString": False, "Cookies": {"Forward": "none"}}
        behavior["MinTTL"] = 0
    request = {
        "CallerReference": f"{context.stack_name}/{resource.logical_id}",
        "Origins": {
            "Quantity": len(config["Origins"]),
            "Items": [_origin(origin) for origin in config["Origins"]],
        },
        "DefaultCacheBehavior": behavior,
        "Comment": config.get("Comment", ""),
        "Enabled": bool(config.get("Enabled", True)),
    }
    created = context.aws("cloudfront").create_distribution(DistributionConfig=request)
    distribution_id = created["Distribution"]["Id"]
    attributes = {"Id": distribution_id, "DomainName": created["Distribution"]["DomainName"]}
    return Provisioned(distribution_id, attributes, "moto", "metadata only, serves no traffic")


@provisions("AWS::CloudFront::OriginAccessControl")
def origin_access_control(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    config = props["OriginAccessControlConfig"]
    created = context.aws("cloudfront").create_origin_access_control(
        OriginAccessControlConfig={
            "Name": config.get("Name") or context.name(resource.logical_id),
            "Description": config.get("Description", ""),
            "SigningProtocol": config.get("SigningProtocol", "sigv4"),
            "SigningBehavior": config.get("SigningBehavior", "always"),
            "OriginAccessControlOriginType": config.get("OriginAccessControlOriginType", "s3"),
        }
    )
    control_id = created["OriginAccessControl"]["Id"]
    return Provisioned(control_id, {"Id": control_id}, "moto")


@provisions("AWS::CloudFront::CachePolicy", "AWS::CloudFront::OriginRequestPolicy")
def policy(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    outcome = skipped(resource, _policy_id(context, resource), "")
    note = "applied by the served distribution; moto has none"
    return Provisioned(outcome.physical_id, outcome.attributes, "emulated", note)


@provisions("AWS::CloudFront::ResponseHeadersPolicy")
def response_headers_policy(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    return skipped(resource, _policy_id(context, resource), "response headers are not applied")


@provisions("AWS::CloudFront::RealtimeLogConfig")
def realtime_log_config(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    """moto has no real-time log configs: the served distribution emits them (Ref is the ARN,
    as CloudFormation's is)."""
    name = str(props.get("Name") or context.name(resource.logical_id))
    config_arn = f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:realtime-log-config/{name}"
    note = "emitted by the served distribution to its stream"
    return Provisioned(config_arn, {"Arn": config_arn}, "emulated", note)


def _policy_id(context: ProvisionContext, resource: Resource) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{context.stack_name}/{resource.logical_id}"))


def _origin(origin: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "Id": origin["Id"],
        "DomainName": origin["DomainName"],
        "OriginPath": origin.get("OriginPath", ""),
    }
    custom = origin.get("CustomOriginConfig")
    if custom is not None:
        shaped["CustomOriginConfig"] = {
            "HTTPPort": int(custom.get("HTTPPort", 80)),
            "HTTPSPort": int(custom.get("HTTPSPort", 443)),
            "OriginProtocolPolicy": custom.get("OriginProtocolPolicy", "https-only"),
        }
    else:
        shaped["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    return shaped
