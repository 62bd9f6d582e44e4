"""SQS queues and queue policies, in moto: attributes and redrive policies as declared."""

from __future__ import annotations

from typing import Any

from localcloud.names import queue_arn
from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    as_json_text,
    provisions,
    tags_as_dict,
)
from localcloud.template import Resource

_NOT_ATTRIBUTES = {"QueueName", "Tags"}
_JSON_ATTRIBUTES = {"RedrivePolicy", "RedriveAllowPolicy", "Policy"}


@provisions("AWS::SQS::Queue")
def queue(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    fifo = str(props.get("FifoQueue", "false")).lower() == "true"
    name = props.get("QueueName") or (
        context.name(resource.logical_id, 75) + ".fifo"
        if fifo
        else context.name(resource.logical_id, 80)
    )
    attributes = {
        key: _attribute_text(key, value)
        for key, value in props.items()
        if key not in _NOT_ATTRIBUTES
    }
    request: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        request["tags"] = tags
    url = context.aws("sqs").create_queue(**request)["QueueUrl"]
    return Provisioned(url, {"Arn": queue_arn(name), "QueueName": name, "QueueUrl": url}, "moto")


@provisions("AWS::SQS::QueuePolicy")
def queue_policy(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    policy = as_json_text(props["PolicyDocument"])
    for url in props.get("Queues", []):
        context.aws("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    return Provisioned(
        context.name(resource.logical_id),
        {},
        "moto",
        "stored; EventBridge's sends to the queue are checked against it (IAM, unless --no-iam)",
    )


def _attribute_text(key: str, value: Any) -> str:
    if key in _JSON_ATTRIBUTES:
        return as_json_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
