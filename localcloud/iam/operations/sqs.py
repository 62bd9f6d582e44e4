"""SQS calls as IAM authorizes them, in the JSON protocol (what current SDKs speak) and the
query protocol: a batch call is its single action (SendMessageBatch -> sqs:SendMessage,
DeleteMessageBatch -> DeleteMessage, ChangeMessageVisibilityBatch -> ChangeMessageVisibility),
on the queue's ARN (from its URL, or its name for GetQueueUrl).

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
"""

from __future__ import annotations

from urllib.parse import urlparse

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import ACCOUNT_ID, arn

_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_UNSCOPED = {"ListQueues"}


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    if request.target:  # JSON protocol
        operation = request.target
        body = request.json
        queue_url = str(body.get("QueueUrl", ""))
        queue_name = str(body.get("QueueName", ""))
        owner = str(body.get("QueueOwnerAWSAccountId", "") or ACCOUNT_ID)
    else:
        operation = request.param("Action")
        if not operation:
            return None
        queue_url = request.param("QueueUrl") or (request.path if request.path != "/" else "")
        queue_name = request.param("QueueName")
        owner = request.param("QueueOwnerAWSAccountId") or ACCOUNT_ID
    action = f"sqs:{_BATCHES.get(operation, operation)}"
    if operation in _UNSCOPED:
        return [Authorization(action, "*")]
    if queue_url:
        return [Authorization(action, queue_arn_of(queue_url))]
    if queue_name:  # GetQueueUrl, CreateQueue
        return [Authorization(action, arn("sqs", queue_name, account=owner))]
    return None


def queue_arn_of(queue_url: str) -> str:
    """http://host/123456789012/name -> arn:aws:sqs:us-east-1:123456789012:name"""
    parts = [part for part in urlparse(queue_url).path.split("/") if part]
    if len(parts) >= 2:
        return arn("sqs", parts[-1], account=parts[-2])
    return arn("sqs", parts[-1] if parts else queue_url)
