"""DynamoDB and DynamoDB Streams calls as IAM authorizes them. Transactions are authorized per
item (Put -> dynamodb:PutItem, Update -> UpdateItem, Delete -> DeleteItem, ConditionCheck ->
ConditionCheckItem, Get -> GetItem); BatchGetItem and BatchWriteItem are their own actions, on
each table they name; a Query or Scan of an index is on `table/T/index/I`.

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
"""

from __future__ import annotations

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


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    operation = request.target
    body = request.json
    if request.headers.get("x-amz-target", "").startswith("DynamoDBStreams_"):
        return _stream_call(operation, body)
    if operation in ("Query", "Scan"):
        return [_on(operation, body.get("TableName", ""), body.get("IndexName"))]
    if operation in _ON_TABLE:
        return [_on(operation, body.get("TableName") or body.get("ResourceArn", ""))]
    if operation == "TransactWriteItems":
        return [
            _on(_TRANSACT_WRITE[kind], part.get("TableName", ""))
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
