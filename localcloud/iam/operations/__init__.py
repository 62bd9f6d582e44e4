"""From a request moto's server receives to what IAM authorizes it as: (action, resource)
pairs, one module per service. `None`: a call the local cloud does not map, which it lets
through and reports as not checked, never as allowed after a check."""

from __future__ import annotations

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations import (
    cloudfront,
    dynamodb,
    events,
    kinesis,
    s3,
    secretsmanager,
    ses,
    sns,
    sqs,
    ssm,
)
from localcloud.iam.operations.request import ApiRequest
from localcloud.iam.operations.ses import IdentityExists

__all__ = ["CHECKED_SERVICES", "ApiRequest", "authorizations", "operation_name"]

# STS GetCallerIdentity needs no permission: "no permissions are required to perform this
# operation" (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
_ALWAYS_ALLOWED = {("sts", "GetCallerIdentity")}

CHECKED_SERVICES = {
    "dynamodb": "tables, indexes and streams (transactions and batches per item/table)",
    "sqs": "queues (batch calls as their single action)",
    "s3": "objects and listing",
    "ses": "sending (identity and configuration set)",
    "cloudfront": "invalidations and distribution reads",
    "ssm": "parameters",
    "events": "PutEvents",
    "sns": "Publish",
    "kinesis": "streams (GetRecords on its iterator's stream) and stream consumers",
    "secretsmanager": "secrets, by their full ARN",
}


def authorizations(
    request: ApiRequest, identity_exists: IdentityExists
) -> list[Authorization] | None:
    if (request.service, operation_name(request)) in _ALWAYS_ALLOWED:
        return []
    if request.service == "ses":
        return ses.authorizations(request, identity_exists)
    mapper = _MAPPERS.get(request.service)
    return mapper(request) if mapper else None


def operation_name(request: ApiRequest) -> str:
    """For the "not checked" log line: the target, the query Action, or method and path."""
    return request.target or request.param("Action") or f"{request.method} {request.path}"


_MAPPERS = {
    "dynamodb": dynamodb.authorizations,
    "sqs": sqs.authorizations,
    "s3": s3.authorizations,
    "cloudfront": cloudfront.authorizations,
    "ssm": ssm.authorizations,
    "events": events.authorizations,
    "sns": sns.authorizations,
    "kinesis": kinesis.authorizations,
    "secretsmanager": secretsmanager.authorizations,
}
