"""EventBridge buses, rules with their targets, and archives, in moto.

moto delivers a rule's matching events to SQS, log group and event bus targets. Others (Lambda:
moto would try Docker) are not registered, and the report says so.
"""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    as_json_text,
    pick,
    provisions,
    tags_as_dict,
)
from localcloud.template import Resource

DEFAULT_BUS = "default"
_TARGET_SERVICES_MOTO_DELIVERS = {"sqs", "events", "logs"}


@provisions("AWS::Events::EventBus")
def event_bus(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    events = context.aws("events")
    name = props["Name"]
    if name == DEFAULT_BUS:
        bus_arn = events.describe_event_bus(Name=DEFAULT_BUS)["Arn"]
    else:
        request: dict[str, Any] = {"Name": name, **pick(props, "Description")}
        tags = tags_as_dict(props.get("Tags"))
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        bus_arn = events.create_event_bus(**request)["EventBusArn"]
    return Provisioned(name, {"Arn": bus_arn, "Name": name}, "moto")


@provisions("AWS::Events::Rule")
def rule(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    events = context.aws("events")
    name = props.get("Name") or context.name(resource.logical_id, 64)
    bus = bus_name(props.get("EventBusName", DEFAULT_BUS))
    request: dict[str, Any] = {
        "Name": name,
        "EventBusName": bus,
        "State": props.get("State", "ENABLED"),
        **pick(props, "Description", "ScheduleExpression", "RoleArn"),
    }
    if "EventPattern" in props:
        request["EventPattern"] = as_json_text(props["EventPattern"])
    rule_arn = events.put_rule(**request)["RuleArn"]

    notes = []
    delivered = []
    for target in props.get("Targets", []):
        service = target["Arn"].split(":")[2]
        if service not in _TARGET_SERVICES_MOTO_DELIVERS:
            notes.append(f"target {target['Id']} ({service}) not delivered locally")
            continue
        if "InputPath" in target:
            notes.append(f"target {target['Id']}: moto ignores InputPath")
        delivered.append(
            pick(
                target,
                "Id",
                "Arn",
                "Input",
                "InputPath",
                "InputTransformer",
                "SqsParameters",
                "DeadLetterConfig",
                "RetryPolicy",
                "RoleArn",
            )
        )
    if delivered:
        events.put_targets(Rule=name, EventBusName=bus, Targets=delivered)
    # On a custom bus, CloudFormation's physical id of a rule is "bus|rule".
    physical_id = name if bus == DEFAULT_BUS else f"{bus}|{name}"
    return Provisioned(physical_id, {"Arn": rule_arn}, "moto", "; ".join(notes))


@provisions("AWS::Events::Archive")
def archive(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = props.get("ArchiveName") or context.name(resource.logical_id, 48)
    request: dict[str, Any] = {
        "ArchiveName": name,
        "EventSourceArn": props["SourceArn"],
        **pick(props, "Description", "RetentionDays"),
    }
    if "EventPattern" in props:
        request["EventPattern"] = as_json_text(props["EventPattern"])
    archive_arn = context.aws("events").create_archive(**request)["ArchiveArn"]
    return Provisioned(name, {"Arn": archive_arn}, "moto")


def bus_name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
