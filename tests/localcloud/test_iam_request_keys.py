"""DynamoDB's fine-grained access control keys, read from the request as DynamoDB reads them:
a role allowed to update only some attributes may name those and no others, and may not ask
for the item's other attributes back; calls that carry no such keys never pass as absent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.iam.evaluation import Authorization, Caller, identity_decision, request_context
from localcloud.iam.operations import dynamodb
from localcloud.iam.operations.request import ApiRequest

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Links"
KEY = {"pk": {"S": "abc1234"}, "sk": {"S": "link"}}
COUNT_ONLY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "dynamodb:UpdateItem",
            "Resource": TABLE_ARN,
            "Condition": {
                "ForAllValues:StringEquals": {
                    "dynamodb:Attributes": ["pk", "sk", "clicks_used", "max_clicks"]
                },
                "StringEqualsIfExists": {
                    "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]
                },
            },
        },
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN},
    ],
}
CLICK = {
    "TableName": "Links",
    "Key": KEY,
    "UpdateExpression": "ADD clicks_used :one",
    "ConditionExpression": (
        "attribute_exists(max_clicks) AND "
        "(attribute_not_exists(clicks_used) OR clicks_used < max_clicks)"
    ),
    "ExpressionAttributeValues": {":one": {"N": "1"}},
}


def dynamodb_call(operation: str, body: dict[str, Any]) -> list[Authorization]:
    request = ApiRequest(
        service="dynamodb",
        method="POST",
        path="/",
        query={},
        headers={"x-amz-target": f"DynamoDB_20120810.{operation}"},
        body=json.dumps(body).encode(),
    )
    needed = dynamodb.authorizations(request)
    assert needed is not None
    return needed


def allowed(operation: str, body: dict[str, Any]) -> bool:
    context = request_context(Caller(arn="arn:aws:sts::123456789012:assumed-role/r/s"))
    return all(
        identity_decision([COUNT_ONLY], needed, context).allowed
        for needed in dynamodb_call(operation, body)
    )


def test_the_click_count_update_names_only_the_key_the_count_and_the_limit() -> None:
    [needed] = dynamodb_call("UpdateItem", CLICK)

    assert dict(needed.request_keys)["dynamodb:attributes"] == (
        "clicks_used",
        "max_clicks",
        "pk",
        "sk",
    )
    assert allowed("UpdateItem", CLICK)


@pytest.mark.parametrize(
    "change",
    [
        {"UpdateExpression": "SET #u = :u", "ExpressionAttributeNames": {"#u": "url"}},
        {"UpdateExpression": "ADD clicks_used :one SET owner = :one"},
        {"ConditionExpression": "begins_with(#u, :one)", "ExpressionAttributeNames": {"#u": "url"}},
        {"ReturnValues": "ALL_NEW"},
        {"ReturnValues": "ALL_OLD"},
    ],
)
def test_naming_another_attribute_or_asking_for_the_whole_item_is_refused(
    change: dict[str, Any],
) -> None:
    assert not allowed("UpdateItem", {**CLICK, **change})


def test_updated_values_may_come_back() -> None:
    assert allowed("UpdateItem", {**CLICK, "ReturnValues": "UPDATED_NEW"})


def test_a_put_names_every_attribute_of_its_item() -> None:
    item = {**KEY, "url": {"S": "https://example.com/"}}

    assert not allowed("PutItem", {"TableName": "Links", "Item": item})


def test_the_keys_go_with_each_write_of_a_transaction() -> None:
    body = {
        "TransactItems": [
            {"Update": CLICK},
            {"Update": {**CLICK, "UpdateExpression": "SET #u = :one",
                        "ExpressionAttributeNames": {"#u": "url"}}},
        ]
    }  # fmt: skip

    first, second = dynamodb_call("TransactWriteItems", body)

    assert "url" not in dict(first.request_keys)["dynamodb:attributes"]
    assert "url" in dict(second.request_keys)["dynamodb:attributes"]


def test_a_call_without_request_keys_never_meets_a_condition_on_them() -> None:
    # GetItem's mapping sets no dynamodb:Attributes: a statement that needs it stays unknown.
    guarded = {**COUNT_ONLY["Statement"][0], "Action": "dynamodb:GetItem"}
    document = {"Version": "2012-10-17", "Statement": [guarded]}
    [needed] = dynamodb_call("GetItem", {"TableName": "Links", "Key": KEY})
    context = request_context(Caller(arn="arn:aws:sts::123456789012:assumed-role/r/s"))

    decision = identity_decision([document], needed, context)

    assert not decision.allowed
    assert decision.unevaluated
