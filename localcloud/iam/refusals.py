"""A refused call, answered as the service answers it, so that the SDK raises the same
ClientError: DynamoDB, DynamoDB Streams, SSM and EventBridge `AccessDeniedException` (JSON,
400); SQS `AccessDenied` (403, JSON with its query-compatible error header, or query XML);
S3 and CloudFront `AccessDenied` (403, XML); SES `AccessDeniedException` (403, rest-JSON).
The message is IAM's: "User: ARN is not authorized to perform: ACTION on resource: ARN
because no identity-based policy allows the ACTION action" (or "with an explicit deny").

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from localcloud.iam.evaluation import Authorization, Decision
from localcloud.iam.operations import ApiRequest

Response = tuple[int, dict[str, str], bytes]


def denial_message(caller_arn: str, denied: Authorization, decision: Decision) -> str:
    where = f"{denied.action} on resource: {denied.resource}"
    if decision.explicit_deny:
        why = "with an explicit deny in an identity-based policy"
    else:
        why = f"because no identity-based policy allows the {denied.action} action"
    return f"User: {caller_arn} is not authorized to perform: {where} {why}"


def refusal(request: ApiRequest, message: str) -> Response:
    request_id = str(uuid.uuid4())
    service = request.service
    if service == "sqs":
        if request.target:
            header = {"x-amzn-query-error": "AccessDenied;Sender"}
            return _json(403, "com.amazonaws.sqs#AccessDenied", message, request_id, header)
        return _query_xml(403, "AccessDenied", message, request_id)
    if service in ("s3",):
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return (
            403,
            {"Content-Type": "application/xml", "x-amz-request-id": request_id},
            body.encode(),
        )
    if service == "cloudfront":
        namespace = 'xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"'
        return _query_xml(403, "AccessDenied", message, request_id, namespace)
    if service == "ses" and not request.param("Action"):
        return _json(403, "AccessDeniedException", message, request_id)
    if request.target:  # JSON protocol: DynamoDB, Streams, SSM, EventBridge, Kinesis ...
        return _json(400, "AccessDeniedException", message, request_id)
    return _query_xml(403, "AccessDenied", message, request_id)


def respond(response: Response, start_response: Callable[..., Any]) -> Iterable[bytes]:
    status, headers, body = response
    reason = {400: "Bad Request", 403: "Forbidden"}[status]
    headers = {**headers, "Content-Length": str(len(body))}
    start_response(f"{status} {reason}", list(headers.items()))
    return [body]


def _json(
    status: int, error_type: str, message: str, request_id: str, extra: dict[str, str] | None = None
) -> Response:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-ErrorType": error_type.rsplit("#", 1)[-1],
        "x-amzn-RequestId": request_id,
        **(extra or {}),
    }
    return status, headers, json.dumps({"__type": error_type, "message": message}).encode()


def _query_xml(
    status: int, code: str, message: str, request_id: str, namespace: str = ""
) -> Response:
    attributes = f" {namespace}" if namespace else ""
    body = (
        f"<ErrorResponse{attributes}><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()
