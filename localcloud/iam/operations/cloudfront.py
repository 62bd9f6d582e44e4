"""CloudFront REST calls on a distribution as IAM authorizes them: CreateInvalidation,
GetInvalidation, ListInvalidations, GetDistribution(Config), on
`arn:aws:cloudfront::ACCOUNT:distribution/ID` (a global service: no region).

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cf-api-permissions-ref.html
"""

from __future__ import annotations

import re

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import ACCOUNT_ID

_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/distribution/(?P<id>[^/]+)(?P<rest>(/[^/]+)*)/?$")
_ACTIONS = {
    ("POST", "/invalidation"): "CreateInvalidation",
    ("GET", "/invalidation"): "ListInvalidations",
    ("GET", ""): "GetDistribution",
    ("GET", "/config"): "GetDistributionConfig",
}


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    match = _PATH.match(request.path)
    if not match:
        return None
    rest = match["rest"]
    if request.method == "GET" and rest.startswith("/invalidation/"):
        operation: str | None = "GetInvalidation"
    else:
        operation = _ACTIONS.get((request.method, rest))
    if operation is None:
        return None
    resource = f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{match['id']}"
    return [Authorization(f"cloudfront:{operation}", resource)]
