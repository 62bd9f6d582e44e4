"""The fixture stack's data resources exist in moto as the template declares them, and the
stack is visible through the CloudFormation API with their physical ids."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud

pytestmark = pytest.mark.integration


def test_every_created_resource_is_a_stack_resource(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    cloudformation = mini_client("cloudformation")
    listed = {
        r["LogicalResourceId"]: (r["PhysicalResourceId"], r["ResourceType"])
        for r in cloudformation.describe_stack_resources(StackName="Mini")["StackResources"]
    }
    summaries = cloudformation.list_stack_resources(StackName="Mini")["StackResourceSummaries"]

    assert listed["ItemsTable"] == (mini_cloud.physical_id("ItemsTable"), "AWS::DynamoDB::Table")
    assert listed["WorkQueue"] == (mini_cloud.physical_id("WorkQueue"), "AWS::SQS::Queue")
    assert listed["EchoFunction"][1] == "AWS::Lambda::Function"
    assert listed["ItemsPipe"][1] == "AWS::Pipes::Pipe"
    assert "ElsewhereQueue" not in listed  # its condition is false
    assert {s["LogicalResourceId"] for s in summaries} == set(listed)
    detail = cloudformation.describe_stack_resource(StackName="Mini", LogicalResourceId="Bus")
    assert detail["StackResourceDetail"]["PhysicalResourceId"] == "mini-bus"


def test_the_table_has_its_keys_index_stream_and_ttl(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    dynamodb = mini_client("dynamodb")
    name = mini_cloud.physical_id("ItemsTable")

    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["by_name"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_the_queue_has_its_redrive_policy(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    sqs = mini_client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=mini_cloud.physical_id("WorkQueue"), AttributeNames=["All"]
    )["Attributes"]
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=mini_cloud.physical_id("WorkDeadLetterQueue"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 2,
    }
    assert attributes["VisibilityTimeout"] == "1"
    assert "Policy" in attributes


def test_the_rule_targets_its_queue_on_the_bus(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    events = mini_client("events")
    rule_name = mini_cloud.physical_id("ItemRule").split("|")[1]

    targets = events.list_targets_by_rule(Rule=rule_name, EventBusName="mini-bus")["Targets"]

    assert [t["Arn"].rsplit(":", 1)[1] for t in targets] == ["Mini-pipe-target"]


def test_parameters_hold_their_resolved_values(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    name = mini_cloud.physical_id("GreetingParameter")

    parameter = mini_client("ssm").get_parameter(Name=name)["Parameter"]

    assert parameter["Value"] == "hello-us-east-1"


def test_the_report_names_every_resource_and_how_it_is_served(mini_cloud: LocalCloud) -> None:
    report = "\n".join(mini_cloud.report_lines)
    by_id = {line.split()[0]: line for line in mini_cloud.report_lines if line and line[0] != " "}

    assert mini_cloud.template is not None
    for logical_id in mini_cloud.template.resources:
        assert logical_id in by_id, f"{logical_id} missing from the report"
    assert by_id["ItemsTable"].endswith("moto")
    assert "emulated" in by_id["EchoFunction"]
    assert "emulated" in by_id["ItemsPipe"]
    assert "skipped: condition IsElsewhere is false" in by_id["ElsewhereQueue"]
    assert mini_cloud.aws_endpoint in report
    assert mini_cloud.api_url in report
