"""DynamoDB and DynamoDB Streams calls as IAM authorizes them. Transactions are authorized per
item (Put -> dynamodb:PutItem, Update -> UpdateItem, Delete -> DeleteItem, ConditionCheck ->
ConditionCheckItem, Get -> GetItem); BatchGetItem and BatchWriteItem are their own actions, on
each table they name; a Query or Scan of an index is on `table/T/index/I`.

The item writes (PutItem, UpdateItem, DeleteItem, alone or in a transaction) carry the
condition keys of fine-grained access control: `dynamodb:Attributes`, every top-level
attribute the request names (the key's, the item's, those of its update and condition
expressions, resolved through ExpressionAttributeNames), and `dynamodb:ReturnValues` when
the request sets it.

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import arn

_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_ON_TABLE = {
    "PutItem", "GetItem", "UpdateItem", "DeleteItem", "DescribeTable", "DescribeTimeToLive",
    "DescribeContinuousBackups", "UpdateTable", "DeleteTable", "CreateTable",
    "UpdateTimeToLive", "ListTagsOfResource", "TagResource", "UntagResource",
}  # fmt: skip
_ON_STREAM = {"DescribeStream", "GetShardIterator"}
_ITEM_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
# The words of DynamoDB's expression syntax: clauses, operators and functions, never names.
_EXPRESSION_WORDS = frozenset(
    {"set", "remove", "add", "delete", "and", "or", "not", "between", "in", "attribute_exists",
     "attribute_not_exists", "attribute_type", "begins_with", "contains", "size",
     "if_not_exists", "list_append"}
)  # fmt: skip
# A top-level name: not a `:value`, and not a nested part after `.` (those belong to their root).
_TOP_LEVEL_NAME = re.compile(r"(?<![\w.:#])#?[A-Za-z_][\w]*")


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    operation = request.target
    body = request.json
    if request.headers.get("x-amz-target", "").startswith("DynamoDBStreams_"):
        return _stream_call(operation, body)
    if operation in ("Query", "Scan"):
        return [_on(operation, body.get("TableName", ""), body.get("IndexName"))]
    if operation in _ITEM_WRITES:
        return [_write(operation, body)]
    if operation in _ON_TABLE:
        return [_on(operation, body.get("TableName") or body.get("ResourceArn", ""))]
    if operation == "TransactWriteItems":
        return [
            _write(_TRANSACT_WRITE[kind], part)
            if _TRANSACT_WRITE[kind] in _ITEM_WRITES
            else _on(_TRANSACT_WRITE[kind], part.get("TableName", ""))
            for item in body.get("TransactItems", [])
            for kind, part in item.items()
            if kind in _TRANSACT_WRITE
        ]
    if operation == "TransactGetItems":
        return [
            _on("GetItem", item["Get"].get("TableName", ""))
            for item in body.get("TransactItems", [])
            if "Get" in item
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [_on(operation, table) for table in body.get("RequestItems", {})]
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Authorization(f"dynamodb:{operation}", "*")]
    return None


def _stream_call(operation: str, body: dict[str, object]) -> list[Authorization] | None:
    if operation == "ListStreams":
        return [Authorization("dynamodb:ListStreams", "*")]
    if operation in _ON_STREAM:
        return [Authorization(f"dynamodb:{operation}", str(body.get("StreamArn", "")))]
    if operation == "GetRecords":
        # An iterator is `{stream ARN}|...` (moto's form; DynamoDB's is opaque).
        iterator = str(body.get("ShardIterator", ""))
        return [Authorization("dynamodb:GetRecords", iterator.split("|", 1)[0])]
    return None


def _on(operation: str, table: str, index: str | None = None) -> Authorization:
    resource = table if table.startswith("arn:") else arn("dynamodb", f"table/{table}")
    if index:
        resource += f"/index/{index}"
    return Authorization(f"dynamodb:{operation}", resource)


def _write(operation: str, request: Mapping[str, Any]) -> Authorization:
    """An item write, with the condition keys it sets."""
    # As it came: a malformed request fails to map here, and goes to moto to be answered.
    on_table = _on(operation, request.get("TableName", ""))
    return_values = request.get("ReturnValues")
    keys = (
        ("dynamodb:attributes", tuple(sorted(attribute_names(request)))),
        ("dynamodb:returnvalues", (str(return_values),) if return_values else ()),
    )
    return Authorization(on_table.action, on_table.resource, keys)


def attribute_names(request: Mapping[str, Any]) -> set[str]:
    """The top-level attributes an item request names: `dynamodb:Attributes`."""
    names: set[str] = set(request.get("Key") or {}) | set(request.get("Item") or {})
    names |= set(request.get("AttributeUpdates") or {}) | set(request.get("Expected") or {})
    substitutes = request.get("ExpressionAttributeNames") or {}
    for field in ("UpdateExpression", "ConditionExpression"):
        for token in _TOP_LEVEL_NAME.findall(str(request.get(field) or "")):
            if token.startswith("#"):
                names.add(str(substitutes.get(token, token)))
            elif token.lower() not in _EXPRESSION_WORDS:
                names.add(token)
    return names
