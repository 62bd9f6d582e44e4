"""What moto does not run and the local cloud emulates: Lambda functions and their triggers
(SQS and Kinesis event source mappings), API Gateway REST APIs, and EventBridge Pipes. Here they
only get their ids and ARNs; the emulators read their (resolved) properties once the whole
stack exists.

Nothing of these is registered in moto: its Lambda would try to run functions in Docker.
"""

from __future__ import annotations

import uuid
from typing import Any

from localcloud.names import arn, function_arn, short_id
from localcloud.provisioning.base import ProvisionContext, Provisioned, provisions, skipped
from localcloud.template import Resource

SUPPORTED_RUNTIME_PREFIX = "python"
LAMBDA_PROXY_INTEGRATIONS = {"AWS_PROXY", "MOCK"}


def why_function_cannot_run(context: ProvisionContext, resource: Resource) -> str:
    """Empty when the local cloud can run the function; else the reason it cannot."""
    props = resource.properties
    runtime = str(props.get("Runtime", ""))
    if not runtime.startswith(SUPPORTED_RUNTIME_PREFIX):
        return f"runtime {runtime or props.get('PackageType', 'image')} is not run locally"
    code = props.get("Code", {})
    if "ZipFile" in code:
        return ""
    asset_dir = context.template.asset_dir(resource)
    if asset_dir is None or not asset_dir.is_dir():
        return "its code is no local asset folder"
    return ""


@provisions("AWS::Lambda::Function")
def function(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = props.get("FunctionName") or context.name(resource.logical_id, 64)
    attributes = {"Arn": function_arn(name)}
    reason = why_function_cannot_run(context, resource)
    if reason:
        return Provisioned(name, attributes, "skipped", reason)
    return Provisioned(name, attributes, "emulated", "worker process")


@provisions("AWS::Lambda::LayerVersion")
def layer_version(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    name = props.get("LayerName") or context.name(resource.logical_id, 64)
    layer_arn = arn("lambda", f"layer:{name}:1")
    return Provisioned(layer_arn, {"LayerVersionArn": layer_arn}, "emulated", "on sys.path")


@provisions("AWS::Lambda::EventSourceMapping")
def event_source_mapping(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{context.stack_name}/{resource.logical_id}"))
    attributes = {"Id": mapping_id}
    source = str(props.get("EventSourceArn", ""))
    pollers = {":sqs:": "SQS poller", ":kinesis:": "Kinesis shard readers"}
    poller = next((name for service, name in pollers.items() if service in source), None)
    if poller is None or "/consumer/" in source:
        why = "only SQS queues and Kinesis streams (not their consumers) are polled"
        return Provisioned(mapping_id, attributes, "skipped", why)
    if str(props.get("Enabled", True)).lower() == "false":
        return Provisioned(mapping_id, attributes, "skipped", "disabled in the template")
    return Provisioned(mapping_id, attributes, "emulated", poller)


@provisions("AWS::Lambda::Permission")
def permission(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    return skipped(resource, context.name(resource.logical_id), "permissions are not enforced")


@provisions("AWS::Pipes::Pipe")
def pipe(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = props.get("Name") or context.name(resource.logical_id, 64)
    attributes = {"Arn": arn("pipes", f"pipe/{name}"), "Name": name}
    source = str(props.get("Source", ""))
    if ":dynamodb:" not in source or "/stream/" not in source:
        return Provisioned(name, attributes, "skipped", "only DynamoDB stream sources are run")
    if ":events:" not in str(props.get("Target", "")):
        return Provisioned(name, attributes, "skipped", "only EventBridge bus targets are run")
    if props.get("DesiredState") == "STOPPED":
        return Provisioned(name, attributes, "skipped", "desired state STOPPED")
    return Provisioned(name, attributes, "emulated", "stream poller")


@provisions("AWS::ApiGateway::RestApi")
def rest_api(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    api_id = short_id(context.stack_name, resource.logical_id)
    root_id = short_id(context.stack_name, f"{resource.logical_id}/root")
    return Provisioned(api_id, {"RootResourceId": root_id}, "emulated", "HTTP server")


@provisions(
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
)
def api_part(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    part_id = short_id(context.stack_name, resource.logical_id, 6)
    attributes = {
        "ResourceId": part_id,
        "DeploymentId": part_id,
        "AuthorizerId": part_id,
    }
    if resource.type == "AWS::ApiGateway::Authorizer" and props.get("Type") not in (
        "TOKEN",
        "REQUEST",
    ):
        return Provisioned(part_id, attributes, "skipped", f"{props.get('Type')} authorizer")
    return Provisioned(part_id, attributes, "emulated")


@provisions("AWS::ApiGateway::Method")
def api_method(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    method_id = short_id(context.stack_name, resource.logical_id, 6)
    integration_type = props.get("Integration", {}).get("Type", "")
    if integration_type not in LAMBDA_PROXY_INTEGRATIONS:
        return Provisioned(method_id, {}, "skipped", f"{integration_type} integration")
    return Provisioned(method_id, {}, "emulated")


@provisions("AWS::ApiGateway::Stage")
def api_stage(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    return Provisioned(props["StageName"], {}, "emulated", "served at / and /" + props["StageName"])
