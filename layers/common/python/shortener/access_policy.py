"""The authorizer's IAM policy for one key: exactly the methods of its scopes, nothing else.

API Gateway caches the policy per token for every route of the stage (the authorizer's TTL), so
it lists every method ARN the key may call, not only the one being called, with `*` only
where a path parameter is. In a method ARN `*` also matches `/`
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html):
`GET/links/*` would match `GET/links/abc/clicks` too, so a route outside the key's scopes that
an allowed pattern covers gets an explicit Deny, which wins over every Allow
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).
API Gateway then answers 403 for every route outside the scopes, without calling the API.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
)

from shortener.scopes import ROUTE_SCOPES

_PATH_PARAMETER = re.compile(r"\{[^}/]+\}")
# What a path parameter is when checking which patterns cover a route.
_SAMPLE_SEGMENT = "x"


def route_pattern(path: str) -> str:
    """`/links/{code}/qr` -> `/links/*/qr`: the resource part of the route's method ARN."""
    return _PATH_PARAMETER.sub("*", path)


def covers(method_pattern: tuple[str, str], route: tuple[str, str]) -> bool:
    """Whether an ARN pattern (method, resource with `*`) matches a request to `route`."""
    method, pattern = method_pattern
    requested = _PATH_PARAMETER.sub(_SAMPLE_SEGMENT, route[1])
    return method == route[0] and fnmatch.fnmatchcase(requested, pattern)


def allowed_and_denied(
    scopes: Iterable[str], route_scopes: Mapping[tuple[str, str], str] = ROUTE_SCOPES
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (method, resource pattern) pairs to Allow, and those to Deny because an Allow
    would cover them although their scope is not granted."""
    granted = set(scopes)
    allowed = [
        (method, route_pattern(path))
        for (method, path), scope in route_scopes.items()
        if scope in granted
    ]
    denied = [
        (method, route_pattern(path))
        for (method, path), scope in route_scopes.items()
        if scope not in granted and any(covers(pattern, (method, path)) for pattern in allowed)
    ]
    return allowed, denied


def scoped_policy(
    method_arn: str,
    *,
    principal_id: str,
    scopes: Iterable[str],
    context: dict[str, Any],
    usage_identifier_key: str | None,
) -> dict[str, Any]:
    """The authorizer's answer: the key's routes allowed on the API and stage of `method_arn`,
    and the API Gateway API key that meters it (`usageIdentifierKey`)."""
    policy = APIGatewayAuthorizerResponse.from_route_arn(
        method_arn,
        principal_id=principal_id,
        context=context,
        usage_identifier_key=usage_identifier_key,
    )
    allowed, denied = allowed_and_denied(scopes)
    for method, pattern in allowed:
        policy.allow_route(method, pattern)
    for method, pattern in denied:
        policy.deny_route(method, pattern)
    if not allowed:
        # A key with no scope may call nothing; a policy needs at least one statement.
        policy.deny_all_routes()
    return policy.asdict()
