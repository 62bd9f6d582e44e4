"""Origin Access Control: may this distribution read this object, by the bucket's policy?

With OAC, CloudFront signs its S3 requests as the service principal `cloudfront.amazonaws.com`;
the bucket policy grants `s3:GetObject` to that principal on the condition that
`AWS:SourceArn` is the distribution's ARN. S3 then allows the read when a statement allows it
and none denies it; without a grant it is refused (403 AccessDenied, which CloudFront passes
on to the viewer). An origin without OAC asks anonymously: only a public grant (`"*"`) lets it.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html

The decision is IAM's policy evaluation (`localcloud.iam`), so a condition it cannot evaluate
never grants; `--no-iam` turns this check off with the others.
"""

from __future__ import annotations

from typing import Any

from localcloud.iam.evaluation import resource_policy_decision
from localcloud.names import ACCOUNT_ID

SERVICE_PRINCIPAL = "cloudfront.amazonaws.com"


def bucket_policy_allows(
    policy: Any, action: str, resource_arn: str, *, distribution_arn: str | None
) -> bool:
    """Whether the bucket policy allows `action` on `resource_arn` to the distribution
    (signing through OAC), or to anyone when `distribution_arn` is None (no OAC)."""
    if distribution_arn is None:
        return resource_policy_decision(policy, action=action, resource=resource_arn).allowed
    return resource_policy_decision(
        policy,
        action=action,
        resource=resource_arn,
        principal_service=SERVICE_PRINCIPAL,
        context={"aws:SourceArn": distribution_arn, "aws:SourceAccount": ACCOUNT_ID},
    ).allowed
