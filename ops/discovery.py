"""Find the stack's resources through CloudFormation, as they are after a deploy.

Queues are recognised by what they are, not by what they are called: a queue is a DLQ when
another queue's RedrivePolicy targets it, or when a Pipe's DeadLetterConfig does. Logical ids
only supply the short, stage-independent aliases (`qr-dlq`, `delivery-dlq`, rule `qr`) that the
runbook can print as copy-pasteable commands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from ops.aws import Clients
from ops.errors import OpsError, UsageError, error_code, is_denied, unknown_name

OUTPUT_LINKS_TABLE = "LinksTableName"
OUTPUT_KEYS_TABLE = "KeysTableName"
OUTPUT_WEBHOOKS_TABLE = "WebhooksTableName"
OUTPUT_EVENT_BUS = "EventBusName"
OUTPUT_EVENT_ARCHIVE = "EventArchiveName"

# What a queue or rule is for, as its logical id spells it; the last one wins, so that
# `WebhooksDeliveryQueue` is the delivery queue and not the webhooks one.
_KINDS = ("Qr", "Stats", "Email", "Webhooks", "Cdn", "Delivery", "Notice", "Pipe", "Clicks")
_CAMEL_WORD = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|\d+")
# The side-effect status item a consumer writes (docs/architecture.md): effect name per kind.
EFFECT_BY_KIND = {
    "Qr": "qr",
    "Stats": "stats",
    "Email": "email",
    "Webhooks": "webhooks",
    "Cdn": "cdn",
}
PIPE_SOURCE = "pipe"


def kind_of(logical_id: str) -> str | None:
    """`PipelineQrDeadLetterQueue1A2B3C4D` → `Qr`; CDK's hex hash suffix can never spell one."""
    words = [word for word in _CAMEL_WORD.findall(logical_id) if word in _KINDS]
    return words[-1] if words else None


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Queue:
    logical_id: str
    url: str
    arn: str
    attributes: dict[str, str]

    @property
    def name(self) -> str:
        return queue_name(self.url)

    @property
    def kind(self) -> str | None:
        return kind_of(self.logical_id)

    @property
    def redrive_target_arn(self) -> str | None:
        policy = self.attributes.get("RedrivePolicy")
        return json.loads(policy).get("deadLetterTargetArn") if policy else None


@dataclass(frozen=True)
class DeadLetterQueue:
    queue: Queue
    source: Queue | None  # None: the Pipe's DLQ (failure records, not events)

    @property
    def name(self) -> str:
        return self.queue.name

    @property
    def url(self) -> str:
        return self.queue.url

    @property
    def arn(self) -> str:
        return self.queue.arn

    @property
    def kind(self) -> str | None:
        if self.source is None:
            return "Pipe"
        return self.queue.kind or self.source.kind

    @property
    def alias(self) -> str | None:
        return f"{self.kind.lower()}-dlq" if self.kind else None

    @property
    def source_label(self) -> str:
        return self.source.name if self.source else PIPE_SOURCE

    @property
    def effect(self) -> str | None:
        """The consumer whose status item holds the last error of this DLQ's messages."""
        return EFFECT_BY_KIND.get(self.kind or "")

    @property
    def is_delivery(self) -> bool:
        return self.kind == "Delivery"


@dataclass(frozen=True)
class Rule:
    name: str
    arn: str
    logical_id: str | None

    @property
    def alias(self) -> str | None:
        """`qr` for the rule `QrRule` (or, not listed by the stack, named `shortener-dev-qr`)."""
        if self.logical_id:
            kind = kind_of(self.logical_id)
            return kind.lower() if kind else None
        suffix = self.name.rsplit("-", 1)[-1]
        return suffix if suffix in {kind.lower() for kind in _KINDS} else None


def _matching_output(outputs: dict[str, str], name: str) -> str | None:
    """An output by key; a CfnOutput inside a construct gets a path prefix and a hash suffix."""
    if name in outputs:
        return outputs[name]
    candidates = [
        value for key, value in outputs.items() if re.sub(r"[0-9A-F]{8}$", "", key).endswith(name)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _dead_letter_refs(properties: Any) -> Iterator[Any]:
    for key, value in _walk(properties):
        if key == "DeadLetterConfig" and isinstance(value, dict) and "Arn" in value:
            yield value["Arn"]


def _pipeline_order(dlq: DeadLetterQueue) -> tuple[int, str]:
    """Consumers in the order a link event reaches them, then deliveries, then the Pipe."""
    kind = dlq.kind
    return (_KINDS.index(kind) if kind in _KINDS else len(_KINDS), dlq.name)


class Stack:
    """The deployed stack as the CLI needs it: outputs, queues, DLQs, rules."""

    def __init__(self, clients: Clients, name: str) -> None:
        self.clients = clients
        self.name = name

    @cached_property
    def _description(self) -> dict[str, Any]:
        cloudformation = self.clients.client("cloudformation")
        try:
            stacks = cloudformation.describe_stacks(StackName=self.name)["Stacks"]
        except ClientError as error:
            if error_code(error) == "ValidationError" and not is_denied(error):
                raise UsageError(
                    f"stack {self.name!r} not found in {self.clients.region} "
                    "(pass --stack NAME or set SHORTENER_STACK)"
                ) from error
            raise
        return dict(stacks[0])

    @cached_property
    def outputs(self) -> dict[str, str]:
        return {
            output["OutputKey"]: output["OutputValue"]
            for output in self._description.get("Outputs", [])
        }

    def output(self, name: str) -> str:
        value = _matching_output(self.outputs, name)
        if not value:
            raise OpsError(f"stack {self.name!r} has no output {name!r}; is it fully deployed?")
        return value

    def bind_tables(self) -> None:
        self.clients.bind_tables(
            links=self.output(OUTPUT_LINKS_TABLE),
            keys=self.output(OUTPUT_KEYS_TABLE),
            webhooks=self.output(OUTPUT_WEBHOOKS_TABLE),
        )

    @cached_property
    def resources(self) -> list[dict[str, Any]]:
        _ = self._description  # a missing stack is a usage error: say so before anything else
        paginator = self.clients.client("cloudformation").get_paginator("list_stack_resources")
        return [
            summary
            for page in paginator.paginate(StackName=self.name)
            for summary in page["StackResourceSummaries"]
            if summary.get("PhysicalResourceId")
        ]

    def _physical_ids(self, resource_type: str) -> dict[str, str]:
        return {
            resource["LogicalResourceId"]: resource["PhysicalResourceId"]
            for resource in self.resources
            if resource.get("ResourceType") == resource_type
        }

    @cached_property
    def queues(self) -> list[Queue]:
        sqs = self.clients.client("sqs")
        queues = []
        for logical_id, url in sorted(self._physical_ids("AWS::SQS::Queue").items()):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            attributes = attributes.get("Attributes", {})
            queues.append(Queue(logical_id, url, attributes["QueueArn"], attributes))
        return queues

    @cached_property
    def _template(self) -> dict[str, Any]:
        body = self.clients.client("cloudformation").get_template(StackName=self.name)
        template = body.get("TemplateBody", {})
        if isinstance(template, str):
            try:
                template = json.loads(template)
            except json.JSONDecodeError:  # a YAML template: CDK never writes one
                return {}
        return dict(template)

    def _pipe_dead_letter_arns(self) -> set[str]:
        """DLQ ARNs of the stack's Pipes: from the Pipes API, else from the template."""
        arns: set[str] = set()
        for pipe_name in self._physical_ids("AWS::Pipes::Pipe").values():
            try:
                pipe = self.clients.client("pipes").describe_pipe(Name=pipe_name)
            except (ClientError, NotImplementedError):
                continue  # an endpoint without the Pipes API: the template still says it
            arns.update(ref for ref in _dead_letter_refs(pipe) if isinstance(ref, str))
        if arns:
            return arns
        by_logical_id = {queue.logical_id: queue.arn for queue in self.queues}
        resources = self._template.get("Resources", {})
        for resource in resources.values():
            if resource.get("Type") != "AWS::Pipes::Pipe":
                continue
            for ref in _dead_letter_refs(resource.get("Properties", {})):
                if isinstance(ref, dict) and "Fn::GetAtt" in ref:
                    arn = by_logical_id.get(ref["Fn::GetAtt"][0])
                    if arn:
                        arns.add(arn)
                elif isinstance(ref, str):
                    arns.add(ref)
        return arns

    @cached_property
    def dead_letter_queues(self) -> list[DeadLetterQueue]:
        by_arn = {queue.arn: queue for queue in self.queues}
        found: dict[str, DeadLetterQueue] = {}
        for queue in self.queues:
            target = by_arn.get(queue.redrive_target_arn or "")
            if target is not None:
                found[target.arn] = DeadLetterQueue(target, source=queue)
        for arn in self._pipe_dead_letter_arns():
            if arn in by_arn and arn not in found:
                found[arn] = DeadLetterQueue(by_arn[arn], source=None)
        return sorted(found.values(), key=_pipeline_order)

    def dead_letter_queue(self, name: str) -> DeadLetterQueue:
        """A DLQ by queue name, alias (`qr-dlq`), logical id or URL."""
        dlqs = self.dead_letter_queues
        aliases = [dlq.alias for dlq in dlqs]
        for dlq in dlqs:
            unique_alias = dlq.alias if aliases.count(dlq.alias) == 1 else None
            if name in (dlq.name, dlq.url, dlq.queue.logical_id) or (
                unique_alias and name.lower() == unique_alias
            ):
                return dlq
        valid = [dlq.name for dlq in dlqs] + [alias for alias in aliases if alias]
        raise unknown_name("dead-letter queue", name, valid)

    @cached_property
    def event_bus_name(self) -> str:
        return self.output(OUTPUT_EVENT_BUS)

    @cached_property
    def event_archive_name(self) -> str:
        """The archive replays read from: the stack's output, else the bus's only archive."""
        name = _matching_output(self.outputs, OUTPUT_EVENT_ARCHIVE)
        if name:
            return name
        events = self.clients.client("events")
        bus_arn = events.describe_event_bus(Name=self.event_bus_name)["Arn"]
        archives = events.list_archives(EventSourceArn=bus_arn)["Archives"]
        if len(archives) != 1:
            raise OpsError(
                f"stack {self.name!r} has no output {OUTPUT_EVENT_ARCHIVE!r} and its bus has "
                f"{len(archives)} archives; cannot tell which one to replay from"
            )
        return str(archives[0]["ArchiveName"])

    def rules(self) -> list[Rule]:
        logical_ids = {
            physical.split("|")[-1]: logical
            for logical, physical in self._physical_ids("AWS::Events::Rule").items()
        }
        paginator = self.clients.client("events").get_paginator("list_rules")
        return [
            Rule(rule["Name"], rule["Arn"], logical_ids.get(rule["Name"]))
            for page in paginator.paginate(EventBusName=self.event_bus_name)
            for rule in page["Rules"]
            if not rule.get("ManagedBy")  # an archive's own rule is not one to replay to
        ]

    def rule(self, name: str) -> Rule:
        rules = self.rules()
        for rule in rules:
            if name in (rule.name, rule.arn, rule.logical_id) or name.lower() == rule.alias:
                return rule
        valid = [rule.name for rule in rules] + [rule.alias for rule in rules if rule.alias]
        raise unknown_name("rule", name, valid)
