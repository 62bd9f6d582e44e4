"""S3 buckets (and their policies) and SSM parameters, in moto."""

from __future__ import annotations

import json
from typing import Any

from localcloud.names import REGION
from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    pick,
    provisions,
    tags_as_dict,
)
from localcloud.template import Resource


@provisions("AWS::S3::Bucket")
def bucket(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    s3 = context.aws("s3")
    name = props.get("BucketName") or context.name(resource.logical_id, 63, lowercase=True)
    s3.create_bucket(Bucket=name)
    versioning = props.get("VersioningConfiguration", {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    cors_rules = props.get("CorsConfiguration", {}).get("CorsRules")
    if cors_rules:
        s3.put_bucket_cors(
            Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(r) for r in cors_rules]}
        )
    public_access = props.get("PublicAccessBlockConfiguration")
    if public_access:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=public_access)
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )
    attributes = {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{REGION}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{REGION}.amazonaws.com",
    }
    return Provisioned(name, attributes, "moto")


@provisions("AWS::S3::BucketPolicy")
def bucket_policy(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    document = props["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    # moto enforces a bucket policy's Deny statements but not their conditions: a Deny on
    # aws:SecureTransport=false (enforceSSL) would then refuse every request.
    kept = [s for s in statements if not (s.get("Effect") == "Deny" and s.get("Condition"))]
    dropped = len(statements) - len(kept)
    context.aws("s3").put_bucket_policy(
        Bucket=props["Bucket"], Policy=json.dumps({**document, "Statement": kept})
    )
    note = f"{dropped} conditional Deny left out: moto ignores conditions" if dropped else ""
    return Provisioned(props["Bucket"], {}, "moto", note)


@provisions("AWS::SSM::Parameter")
def parameter(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = props.get("Name") or f"CFN-{context.name(resource.logical_id, 1011)}"
    request: dict[str, Any] = {
        "Name": name,
        "Value": str(props["Value"]),
        "Type": props.get("Type", "String"),
        "Overwrite": True,
        **pick(props, "Description", "AllowedPattern", "Tier", "DataType"),
    }
    context.aws("ssm").put_parameter(**request)
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        context.aws("ssm").add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId=name,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    return Provisioned(name, {"Type": request["Type"], "Value": request["Value"]}, "moto")


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    shaped = pick(rule, "AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ID")
    if "Id" in rule:
        shaped["ID"] = rule["Id"]
    if "ExposedHeaders" in rule:
        shaped["ExposeHeaders"] = rule["ExposedHeaders"]
    if "MaxAge" in rule:
        shaped["MaxAgeSeconds"] = int(rule["MaxAge"])
    return shaped
