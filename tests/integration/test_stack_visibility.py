"""The stack as an engineer sees it on the local cloud (issue 3, "Done when"): the
CloudFormation API shows it with its outputs, its tables, queues and rules are the template's,
and the start-up report names every resource that matters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.helpers import CONSUMER_QUEUES, Stack, queue_url_from_physical_id

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

UNRESOLVED = ("${", "Fn::", "Ref", "Token[", "{{")


def of_type(template: dict[str, Any], *resource_types: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in resource_types
    }


def get_att_target(value: Any) -> str:
    """The logical id an `{"Fn::GetAtt": [id, attribute]}` names."""
    assert isinstance(value, dict), value
    assert "Fn::GetAtt" in value, value
    target = value["Fn::GetAtt"]
    return str(target[0] if isinstance(target, list) else target.split(".")[0])


def key_schema(elements: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(element["AttributeName"], element["KeyType"]) for element in elements]


def test_describe_stacks_shows_the_stack_with_every_output_resolved(
    stack_name: str, template: dict[str, Any], aws_client: Callable[[str], Any]
) -> None:
    described = aws_client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]

    assert [s["StackName"] for s in described] == [stack_name]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described[0].get("Outputs", [])}
    assert set(outputs) == set(template.get("Outputs", {}))
    assert outputs, "the template declares outputs (API URL, short domain, table names)"
    unresolved = {
        key: value
        for key, value in outputs.items()
        if not value or any(marker in value for marker in UNRESOLVED)
    }
    assert unresolved == {}


def test_every_resource_is_listed_with_a_physical_id(
    stack: Stack, template: dict[str, Any]
) -> None:
    listed = {r.logical_id: r for r in stack.resources}
    data_types = (
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
        "AWS::S3::Bucket",
        "AWS::Lambda::Function",
    )

    expected = of_type(template, *data_types)

    missing = sorted(set(expected) - set(listed))
    assert missing == []
    assert all(listed[logical_id].physical_id for logical_id in expected)


def test_the_tables_match_the_template(
    stack: Stack, template: dict[str, Any], aws_client: Callable[[str], Any]
) -> None:
    dynamodb = aws_client("dynamodb")
    tables = of_type(template, "AWS::DynamoDB::Table")
    assert {"LinksTable", "KeysTable"} <= set(tables), sorted(tables)

    for logical_id, declared in tables.items():
        name = stack.physical_id(logical_id)
        table = dynamodb.describe_table(TableName=name)["Table"]

        assert key_schema(table["KeySchema"]) == key_schema(declared["KeySchema"]), logical_id
        declared_indexes = {
            index["IndexName"]: key_schema(index["KeySchema"])
            for index in declared.get("GlobalSecondaryIndexes", [])
        }
        actual_indexes = {
            index["IndexName"]: key_schema(index["KeySchema"])
            for index in table.get("GlobalSecondaryIndexes", [])
        }
        assert actual_indexes == declared_indexes, logical_id
        declared_stream = declared.get("StreamSpecification")
        if declared_stream:
            assert table["StreamSpecification"] == {
                "StreamEnabled": True,
                "StreamViewType": declared_stream["StreamViewType"],
            }, logical_id
            assert table.get("LatestStreamArn"), logical_id
        else:
            assert not table.get("StreamSpecification", {}).get("StreamEnabled"), logical_id
        declared_ttl = declared.get("TimeToLiveSpecification")
        if declared_ttl:
            ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            assert ttl.get("AttributeName") == declared_ttl["AttributeName"], logical_id
            assert ttl.get("TimeToLiveStatus") == "ENABLED", logical_id


def test_the_links_table_streams_new_and_old_images_and_lists_by_owner(
    template: dict[str, Any],
) -> None:
    links = of_type(template, "AWS::DynamoDB::Table")["LinksTable"]

    assert links["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert "by_owner" in {index["IndexName"] for index in links["GlobalSecondaryIndexes"]}


def test_the_queues_match_the_template_with_their_redrive_policies(
    stack: Stack, template: dict[str, Any]
) -> None:
    queues = of_type(template, "AWS::SQS::Queue")
    urls = {
        logical_id: queue_url_from_physical_id(stack.sqs, stack.physical_id(logical_id))
        for logical_id in queues
    }
    arns = {
        logical_id: stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        for logical_id, url in urls.items()
    }
    with_dlq = {logical_id for logical_id, q in queues.items() if "RedrivePolicy" in q}
    assert set(CONSUMER_QUEUES) <= with_dlq

    for logical_id, declared in queues.items():
        attributes = stack.sqs.get_queue_attributes(
            QueueUrl=urls[logical_id], AttributeNames=["All"]
        )["Attributes"]
        for attribute in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if attribute in declared:
                assert attributes[attribute] == str(declared[attribute]), (logical_id, attribute)
        if "RedrivePolicy" in declared:
            policy = json.loads(attributes["RedrivePolicy"])
            declared_policy = declared["RedrivePolicy"]
            assert int(policy["maxReceiveCount"]) == int(declared_policy["maxReceiveCount"]), (
                logical_id
            )
            dead_letter_id = get_att_target(declared_policy["deadLetterTargetArn"])
            assert policy["deadLetterTargetArn"] == arns[dead_letter_id], logical_id
        else:
            assert "RedrivePolicy" not in attributes, logical_id


def test_the_rules_are_on_the_bus_and_target_their_queues(
    stack: Stack, template: dict[str, Any], aws_client: Callable[[str], Any]
) -> None:
    events = aws_client("events")
    rules = of_type(template, "AWS::Events::Rule")
    assert len(rules) >= 5, sorted(rules)

    for logical_id, declared in rules.items():
        rule_name = stack.physical_id(logical_id).split("|")[-1]
        described = events.describe_rule(Name=rule_name, EventBusName=stack.event_bus)
        assert json.loads(described["EventPattern"]) == declared["EventPattern"], logical_id
        target_arns = {
            target["Arn"]
            for target in events.list_targets_by_rule(Rule=rule_name, EventBusName=stack.event_bus)[
                "Targets"
            ]
        }
        for target in declared.get("Targets", []):
            queue_id = get_att_target(target["Arn"])
            queue_url = queue_url_from_physical_id(stack.sqs, stack.physical_id(queue_id))
            queue_arn = stack.sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            assert queue_arn in target_arns, (logical_id, queue_id)


def test_the_start_up_report_names_every_resource_and_the_aws_endpoint(
    startup_report: str, template: dict[str, Any], aws_endpoint: str
) -> None:
    named = of_type(
        template,
        "AWS::Lambda::Function",
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Pipes::Pipe",
        "AWS::Events::Rule",
    )
    assert any(t.startswith("AWS::Pipes::Pipe") for t in _types(template)), "a pipe is declared"

    unnamed = sorted(logical_id for logical_id in named if logical_id not in startup_report)

    assert unnamed == []
    assert aws_endpoint in startup_report


def _types(template: dict[str, Any]) -> set[str]:
    return {resource["Type"] for resource in template["Resources"].values()}
