"""DynamoDB tables, in moto: keys, indexes, streams, TTL and point-in-time recovery."""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.base import (
    ProvisionContext,
    Provisioned,
    pick,
    provisions,
    tags_as_dict,
)
from localcloud.template import Resource

_DEFAULT_THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


@provisions("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
def table(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    dynamodb = context.aws("dynamodb")
    name = props.get("TableName") or context.name(resource.logical_id, 255)
    on_demand = props.get("BillingMode") == "PAY_PER_REQUEST"
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST" if on_demand else "PROVISIONED",
    }
    if not on_demand:
        request["ProvisionedThroughput"] = _throughput(props)
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            _index(index, with_throughput=not on_demand)
            for index in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [
            _index(index, with_throughput=False) for index in props["LocalSecondaryIndexes"]
        ]
    stream_view = props.get("StreamSpecification", {}).get("StreamViewType")
    if stream_view:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream_view}
    sse = props.get("SSESpecification", {})
    if sse.get("SSEEnabled"):
        request["SSESpecification"] = {"Enabled": True, **pick(sse, "SSEType", "KMSMasterKeyId")}
    replica = (props.get("Replicas") or [{}])[0]
    tags = tags_as_dict(props.get("Tags") or replica.get("Tags"))
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    if "DeletionProtectionEnabled" in props:
        request["DeletionProtectionEnabled"] = bool(props["DeletionProtectionEnabled"])
    description = dynamodb.create_table(**request)["TableDescription"]

    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    recovery = props.get("PointInTimeRecoverySpecification") or replica.get(
        "PointInTimeRecoverySpecification", {}
    )
    if recovery.get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    attributes = {"Arn": description["TableArn"], "TableId": description.get("TableId", name)}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    return Provisioned(name, attributes, "moto")


def _throughput(props: dict[str, Any]) -> dict[str, Any]:
    given = props.get("ProvisionedThroughput") or {}
    return {**_DEFAULT_THROUGHPUT, **pick(given, "ReadCapacityUnits", "WriteCapacityUnits")}


def _index(index: dict[str, Any], *, with_throughput: bool) -> dict[str, Any]:
    shaped = pick(index, "IndexName", "KeySchema", "Projection")
    if with_throughput:
        shaped["ProvisionedThroughput"] = _throughput(index)
    return shaped
