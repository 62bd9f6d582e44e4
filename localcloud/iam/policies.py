"""Each role's identity-based policies, as the template declares them: the role's inline
`Policies`, every `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` that names it in `Roles`,
and its `ManagedPolicyArns` (AWS managed policies come from moto's copy of their documents;
one moto does not know grants nothing, and is reported).

Read from the resolved properties of the provisioned resources, so every `Ref`, `GetAtt`
and `Sub` in a document is already the local stack's ARN.

https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-policy.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.provisioning import ProvisionedResource

_AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass
class RolePolicies:
    role_name: str
    role_arn: str
    documents: list[tuple[str, Any]] = field(default_factory=list)  # (policy name, document)
    unknown_managed: list[str] = field(default_factory=list)


def role_policies(provisioned: Mapping[str, ProvisionedResource]) -> dict[str, RolePolicies]:
    """Every role of the stack by its ARN, with the documents that apply to it."""
    roles: dict[str, RolePolicies] = {}
    by_name: dict[str, RolePolicies] = {}
    customer_managed: dict[str, Any] = {}
    for item in provisioned.values():
        if item.type == "AWS::IAM::ManagedPolicy" and item.properties:
            customer_managed[item.physical_id] = item.properties.get("PolicyDocument")
    for item in provisioned.values():
        if item.type != "AWS::IAM::Role" or not item.physical_id or not item.properties:
            continue
        role = RolePolicies(item.physical_id, str(item.outcome.attributes.get("Arn", "")))
        for policy in item.properties.get("Policies", []):
            role.documents.append((policy["PolicyName"], policy["PolicyDocument"]))
        for arn in item.properties.get("ManagedPolicyArns", []):
            document = customer_managed.get(arn) or _aws_managed(str(arn))
            if document is None:
                role.unknown_managed.append(str(arn))
            else:
                role.documents.append((str(arn).rsplit("/", 1)[-1], document))
        roles[role.role_arn] = by_name[role.role_name] = role
    for item in provisioned.values():
        if item.type not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        props = item.properties
        name = props.get("PolicyName") or props.get("ManagedPolicyName") or item.logical_id
        for role_name in props.get("Roles", []):
            if str(role_name) in by_name:
                by_name[str(role_name)].documents.append((name, props["PolicyDocument"]))
    return roles


def _aws_managed(arn: str) -> Any | None:
    if not arn.startswith(_AWS_MANAGED_PREFIX):
        return None
    return _aws_managed_documents().get(arn.rsplit("/", 1)[-1])


@cache
def _aws_managed_documents() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: data["Document"] for name, data in json.loads(aws_managed_policies_data).items()}
