"""Origin Access Control: may this distribution read this object, by the bucket's policy?

With OAC, CloudFront signs its S3 requests as the service principal `cloudfront.amazonaws.com`;
the bucket policy grants `s3:GetObject` to that principal on the condition that
`AWS:SourceArn` is the distribution's ARN. S3 then allows the read when a statement allows it
and none denies it; without a grant it is refused (403 AccessDenied, which CloudFront passes
on to the viewer).
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

The decision is `bucket_policy_allows`, the one place to connect to a general resource-policy
evaluator. Conditions are evaluated on the keys this request has (`aws:SourceArn`,
`aws:SourceAccount`, `aws:SecureTransport`: OAC requests are HTTPS); a condition on any other
key, or with another operator, does not hold, so it grants nothing (and a Deny on it denies
nothing): it is never treated as true.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from localcloud.names import ACCOUNT_ID

SERVICE_PRINCIPAL = "cloudfront.amazonaws.com"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str) -> str:
    return pattern.replace("[", "[[]")


def _names_principal(principal: Any, *, as_cloudfront: bool) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    services = _listed(principal.get("Service", []))
    return (as_cloudfront and SERVICE_PRINCIPAL in services) or "*" in _listed(
        principal.get("AWS", [])
    )


def _covers(statement: Mapping[str, Any], action: str, resource_arn: str) -> bool:
    actions = _listed(statement.get("Action", []))
    resources = _listed(statement.get("Resource", []))
    return any(fnmatchcase(action.lower(), _glob(str(a).lower())) for a in actions) and any(
        fnmatchcase(resource_arn, _glob(str(r))) for r in resources
    )


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            actual = context.get(key.lower())
            if actual is None:
                return False
            values = [str(v) for v in _listed(wanted)]
            if operator in ("StringEquals", "ArnEquals", "Bool"):
                holds = (
                    actual.lower() in (v.lower() for v in values)
                    if operator == "Bool"
                    else (actual in values)
                )
            elif operator in ("StringLike", "ArnLike"):
                holds = any(fnmatchcase(actual, _glob(v)) for v in values)
            else:
                return False
            if not holds:
                return False
    return True


def bucket_policy_allows(
    policy: str | Mapping[str, Any] | None,
    action: str,
    resource_arn: str,
    *,
    distribution_arn: str | None,
) -> bool:
    """Whether the bucket policy allows `action` on `resource_arn` to the distribution
    (signing through OAC), or to anyone when `distribution_arn` is None (no OAC: the origin
    request is anonymous)."""
    if not policy:
        return False
    document = json.loads(policy) if isinstance(policy, str) else policy
    context = {"aws:securetransport": "true"}
    if distribution_arn is not None:
        context |= {"aws:sourcearn": distribution_arn, "aws:sourceaccount": ACCOUNT_ID}
    as_cloudfront = distribution_arn is not None
    allowed = False
    for statement in _listed(document.get("Statement", [])):
        principal = statement.get("Principal")
        if not (
            _names_principal(principal, as_cloudfront=as_cloudfront)
            and _covers(statement, action, resource_arn)
        ):
            continue
        if not _condition_holds(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed
