"""SES identities and SNS topics and subscriptions, in moto.

An identity the template declares is created verified, as on AWS once its verification link is
followed or its DKIM records are published; `localcloud.ses` refuses mail from any other sender
(and, in the sandbox, to any other recipient). Sent mail is readable at the endpoint's
/moto-api/data.json. Lambda subscriptions are not registered (moto would run them in Docker).
"""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    as_json_text,
    provisions,
    tags_as_dict,
)
from localcloud.template import Resource

_SUBSCRIPTION_ATTRIBUTES = {
    "FilterPolicy": True,
    "FilterPolicyScope": False,
    "RawMessageDelivery": False,
    "RedrivePolicy": True,
    "DeliveryPolicy": True,
}


@provisions("AWS::SES::EmailIdentity")
def email_identity(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    identity = props["EmailIdentity"]
    context.aws("sesv2").create_email_identity(EmailIdentity=identity)
    return Provisioned(identity, {}, "moto", "verified, as after its link or DKIM records")


@provisions("AWS::SES::ConfigurationSet")
def configuration_set(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    name = props.get("Name") or context.name(resource.logical_id)
    context.aws("sesv2").create_configuration_set(ConfigurationSetName=name)
    return Provisioned(name, {}, "moto")


@provisions("AWS::SNS::Topic")
def topic(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    sns = context.aws("sns")
    fifo = str(props.get("FifoTopic", "false")).lower() == "true"
    name = props.get("TopicName") or (
        context.name(resource.logical_id, 251) + ".fifo"
        if fifo
        else context.name(resource.logical_id, 256)
    )
    attributes = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in ("DisplayName", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId")
        if key in props
    }
    request: dict[str, Any] = {"Name": name, "Attributes": attributes}
    tags = tags_as_dict(props.get("Tags"))
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    topic_arn = sns.create_topic(**request)["TopicArn"]
    notes = [
        note
        for subscription in props.get("Subscription", [])
        if (note := _subscribe(context, topic_arn, subscription))
    ]
    return Provisioned(
        topic_arn, {"TopicArn": topic_arn, "TopicName": name}, "moto", "; ".join(notes)
    )


@provisions("AWS::SNS::Subscription")
def subscription(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    if props["Protocol"] == "lambda":
        return Provisioned(
            context.name(resource.logical_id), {}, "skipped", "lambda subscriptions are not run"
        )
    attributes = {
        key: as_json_text(props[key]) if is_json else str(props[key]).lower()
        for key, is_json in _SUBSCRIPTION_ATTRIBUTES.items()
        if key in props
    }
    subscription_arn = context.aws("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Provisioned(subscription_arn, {"Arn": subscription_arn}, "moto")


@provisions("AWS::SNS::TopicPolicy")
def topic_policy(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    for topic_arn in props.get("Topics", []):
        context.aws("sns").set_topic_attributes(
            TopicArn=topic_arn,
            AttributeName="Policy",
            AttributeValue=as_json_text(props["PolicyDocument"]),
        )
    return Provisioned(context.name(resource.logical_id), {}, "moto", "stored, not enforced")


def _subscribe(context: ProvisionContext, topic_arn: str, subscription: dict[str, Any]) -> str:
    if subscription["Protocol"] == "lambda":
        return "lambda subscription not run"
    context.aws("sns").subscribe(
        TopicArn=topic_arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"]
    )
    return ""
