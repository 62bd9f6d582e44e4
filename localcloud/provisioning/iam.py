"""IAM roles and policies, in moto: they exist with their documents; nothing enforces them."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    as_json_text,
    pick,
    provisions,
)
from localcloud.template import Resource


@provisions("AWS::IAM::Role")
def role(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    iam = context.aws("iam")
    name = props.get("RoleName") or context.name(resource.logical_id, 64)
    created = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=as_json_text(props["AssumeRolePolicyDocument"]),
        **pick(props, "Path", "Description", "MaxSessionDuration"),
    )["Role"]
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=as_json_text(policy["PolicyDocument"]),
        )
    missing = []
    for policy_arn in props.get("ManagedPolicyArns", []):
        try:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        except ClientError:
            missing.append(policy_arn.rsplit("/", 1)[-1])
    note = f"managed policies unknown to moto: {', '.join(missing)}" if missing else ""
    return Provisioned(name, {"Arn": created["Arn"], "RoleId": created["RoleId"]}, "moto", note)


@provisions("AWS::IAM::Policy")
def inline_policy(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    iam = context.aws("iam")
    document = as_json_text(props["PolicyDocument"])
    for role_name in props.get("Roles", []):
        iam.put_role_policy(
            RoleName=role_name, PolicyName=props["PolicyName"], PolicyDocument=document
        )
    return Provisioned(context.name(resource.logical_id), {"Id": props["PolicyName"]}, "moto")


@provisions("AWS::IAM::ManagedPolicy")
def managed_policy(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    iam = context.aws("iam")
    name = props.get("ManagedPolicyName") or context.name(resource.logical_id, 128)
    policy_arn = iam.create_policy(
        PolicyName=name,
        PolicyDocument=as_json_text(props["PolicyDocument"]),
        **pick(props, "Path", "Description"),
    )["Policy"]["Arn"]
    for role_name in props.get("Roles", []):
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
    return Provisioned(policy_arn, {"PolicyArn": policy_arn}, "moto")
