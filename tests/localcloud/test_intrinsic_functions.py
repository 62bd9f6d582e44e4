"""Intrinsic functions resolve against what was created: unit cases on the resolver, and the
fixture stack's outputs as CloudFormation reports them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.aws import AwsClients
from localcloud.intrinsics import NO_VALUE, IntrinsicError, Resolver, referenced_ids
from localcloud.provisioning import provision_stack
from localcloud.template import StackTemplate

QUEUE_URL = "http://127.0.0.1:4566/123456789012/Mini-WorkQueue-ABC"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:Mini-WorkQueue-ABC"


@pytest.fixture
def resolver() -> Resolver:
    resolver = Resolver(
        stack_name="Mini",
        stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/Mini/1",
        parameters={"Stage": "dev"},
        conditions={
            "IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
            "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
            "DevInEast": {
                "Fn::And": [
                    {"Condition": "IsDev"},
                    {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                ]
            },
        },
        mappings={"Sizes": {"dev": {"Memory": 256}}},
    )
    resolver.define("Queue", QUEUE_URL, {"Arn": QUEUE_ARN, "QueueName": "Mini-WorkQueue-ABC"})
    return resolver


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Queue"}, QUEUE_URL),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, QUEUE_ARN),
        ({"Fn::GetAtt": "Queue.QueueName"}, "Mini-WorkQueue-ABC"),
        ({"Ref": "AWS::Region"}, "us-east-1"),
        ({"Ref": "AWS::AccountId"}, "123456789012"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "AWS::StackName"}, "Mini"),
        ({"Ref": "Stage"}, "dev"),
        ({"Fn::Join": ["/", ["a", {"Ref": "Stage"}, "b"]]}, "a/dev/b"),
        ({"Fn::Join": [",", {"Fn::Split": ["-", "x-y"]}]}, "x,y"),
        ({"Fn::Select": [1, {"Fn::Split": [":", {"Fn::GetAtt": ["Queue", "Arn"]}]}]}, "aws"),
        ({"Fn::Select": ["3", ["a", "b", "c", "d"]]}, "d"),
        ({"Fn::Sub": "${Queue.Arn}|${Queue}|${AWS::Region}|${!Literal}"},
         f"{QUEUE_ARN}|{QUEUE_URL}|us-east-1|${{Literal}}"),
        ({"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Fn::GetAtt": ["Queue", "QueueName"]}}]},
         "Mini-WorkQueue-ABC-dev"),
        ({"Fn::If": ["IsDev", "small", "large"]}, "small"),
        ({"Fn::If": ["IsProd", "large", "small"]}, "small"),
        ({"Fn::If": ["DevInEast", "yes", "no"]}, "yes"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, 256),
        ({"Fn::Base64": "hi"}, "aGk="),
    ],
)  # fmt: skip
def test_intrinsics_resolve_to_what_was_created(
    resolver: Resolver, value: Any, expected: Any
) -> None:
    assert resolver.resolve(value) == expected


def test_no_value_drops_the_property_or_item(resolver: Resolver) -> None:
    value = {
        "Kept": "yes",
        "Dropped": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Ref": "AWS::NoValue"}, "b"],
    }

    assert resolver.resolve(value) == {"Kept": "yes", "List": ["a", "b"]}
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


@pytest.mark.parametrize(
    "value",
    [
        {"Ref": "NotCreatedYet"},
        {"Fn::GetAtt": ["Queue", "NoSuchAttribute"]},
        {"Fn::Sub": "${Missing}"},
        {"Fn::ImportValue": "elsewhere"},
        {"Fn::Select": [9, ["a"]]},
    ],
)
def test_what_cannot_resolve_says_so(resolver: Resolver, value: Any) -> None:
    with pytest.raises(IntrinsicError):
        resolver.resolve(value)


def test_references_are_found_for_ordering() -> None:
    value = {
        "A": {"Ref": "Table"},
        "B": [{"Fn::GetAtt": ["Queue", "Arn"]}, {"Fn::GetAtt": "Bus.Arn"}],
        "C": {"Fn::Sub": "${Bucket.Arn}/${AWS::Region}/${!Not}"},
        "D": {"Fn::Sub": ["${Local}", {"Local": {"Ref": "Topic"}}]},
    }

    found = set(referenced_ids(value))

    assert {"Table", "Queue", "Bus", "Bucket", "Topic"} <= found
    assert "Local" not in found
    assert "Not" not in found


def test_what_nothing_serves_still_resolves_so_the_rest_can_be_made(tmp_path: Path) -> None:
    template = StackTemplate(
        stack_name="Odd",
        assembly_dir=tmp_path,
        body={
            "Resources": {
                "Thing": {"Type": "AWS::Unknown::Thing", "Properties": {}},
                "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "Api"}},
                "Uses": {
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {
                        "SourceArn": {"Fn::GetAtt": ["Thing", "Arn"]},
                        "FunctionName": {"Ref": "Thing"},
                        "Principal": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    },
                },
            }
        },
    )
    resolver = Resolver(stack_name="Odd", stack_id="arn:aws:cloudformation:::stack/Odd/1")

    # Nothing here needs moto: the AWS clients are never asked for.
    provisioned = provision_stack(template, resolver, AwsClients("http://127.0.0.1:9"))

    thing = provisioned["Thing"]
    assert thing.outcome.served_by == "skipped"
    assert thing.outcome.note == "no local equivalent"
    uses = provisioned["Uses"].properties
    assert uses["FunctionName"] == thing.physical_id
    assert uses["SourceArn"] == f"arn:aws:unknown:us-east-1:123456789012:{thing.physical_id}"
    assert uses["Principal"] == provisioned["Api"].outcome.attributes["RootResourceId"]


@pytest.mark.integration
def test_stack_outputs_resolve_against_created_resources(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    stack = mini_client("cloudformation").describe_stacks(StackName="Mini")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    table_name = mini_cloud.physical_id("ItemsTable")
    queue_url = mini_cloud.physical_id("WorkQueue")
    queue_arn = mini_client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    api_id = mini_cloud.physical_id("MiniApi")

    assert outputs["ItemsTableName"] == table_name
    assert outputs["WorkQueueUrl"] == queue_url
    assert outputs["WorkQueueArn"] == queue_arn
    assert outputs["TableNameSuffix"] == table_name.split("-")[2]
    assert outputs["ApiUrl"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/test/"
    assert outputs["Where"] == "123456789012/Mini/aws/amazonaws.com/east"
    assert "OnlyElsewhere" not in outputs  # its condition is false in us-east-1
    exports = mini_client("cloudformation").list_exports()["Exports"]
    assert {"Name": "Mini-work-queue-arn", "Value": queue_arn} in [
        {"Name": e["Name"], "Value": e["Value"]} for e in exports
    ]
