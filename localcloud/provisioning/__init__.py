"""Create the template's resources in moto, in dependency order, resolving each one's
properties against what was created before it.

Each resource type has a provisioner (one module per service); a resource without one, or one
moto refuses, is skipped with the reason, and the rest of the stack is still made.
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any

from localcloud.aws import AwsClients
from localcloud.intrinsics import IntrinsicError, Resolver, referenced_ids
from localcloud.provisioning import (  # noqa: F401  (each module registers its provisioners)
    apigateway,
    cloudfront,
    dynamodb,
    emulated,
    events,
    iam,
    messaging,
    monitoring,
    sqs,
    storage,
    streaming,
    wafv2,
)
from localcloud.provisioning.base import (
    PROVISIONERS,
    ProvisionContext,
    Provisioned,
    ProvisionedResource,
    skipped,
)
from localcloud.template import Resource, StackTemplate

__all__ = ["ProvisionedResource", "dependency_order", "provision_stack"]

# Why the types without a provisioner are not served, where there is more to say than "no
# local equivalent".
_SKIP_REASONS = {
    "AWS::CDK::Metadata": "CDK metadata",
    "AWS::ApiGateway::Account": "account settings have no local effect",
    "AWS::ApiGateway::RequestValidator": "request validation is not emulated",
    "AWS::ApiGateway::Model": "request models are not emulated",
    "AWS::Lambda::Alias": "aliases are not emulated: callers reach $LATEST",
    "AWS::Lambda::Version": "versions are not emulated: callers reach $LATEST",
    "AWS::CloudFormation::CustomResource": "custom resources are not run locally",
}


def dependency_order(template: StackTemplate) -> list[str]:
    """Logical ids so that every resource comes after the ones it refers to."""
    known = set(template.resources)
    graph: dict[str, set[str]] = {}
    for logical_id, resource in template.resources.items():
        references = set(referenced_ids(resource.properties)) | set(resource.depends_on)
        graph[logical_id] = {ref for ref in references if ref in known and ref != logical_id}
    return list(TopologicalSorter(graph).static_order())


def provision_stack(
    template: StackTemplate, resolver: Resolver, aws: AwsClients
) -> dict[str, ProvisionedResource]:
    context = ProvisionContext(template=template, aws=aws)
    provisioned: dict[str, ProvisionedResource] = {}
    for logical_id in dependency_order(template):
        resource = template.resources[logical_id]
        if resource.condition and not resolver.condition(resource.condition):
            outcome = skipped(resource, "", f"condition {resource.condition} is false")
            provisioned[logical_id] = ProvisionedResource(resource, outcome)
            continue
        try:
            properties = resolver.resolve(resource.properties)
        except IntrinsicError as error:
            outcome = skipped(resource, context.name(logical_id), f"unresolvable: {error}")
            properties = {}
        else:
            outcome = _provision(context, resource, properties)
        resolver.define(logical_id, outcome.physical_id, outcome.attributes)
        provisioned[logical_id] = ProvisionedResource(resource, outcome, properties)
    return provisioned


def _provision(
    context: ProvisionContext, resource: Resource, properties: dict[str, Any]
) -> Provisioned:
    provisioner = PROVISIONERS.get(resource.type)
    physical_id = context.name(resource.logical_id)
    if provisioner is None:
        if resource.type.startswith("Custom::"):
            return skipped(resource, physical_id, "custom resources are not run locally")
        return skipped(
            resource, physical_id, _SKIP_REASONS.get(resource.type, "no local equivalent")
        )
    try:
        return provisioner(context, resource, properties)
    # One resource moto refuses must not stop the rest of the stack: report it and go on.
    except Exception as error:
        return skipped(resource, physical_id, f"failed: {type(error).__name__}: {error}")
