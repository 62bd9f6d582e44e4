"""How problem responses look in the OpenAPI document, for every router to declare its errors."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from pydantic import BaseModel, Field

from shortener.problems import PROBLEM_CONTENT_TYPE


class FieldError(BaseModel):
    pointer: str | None = Field(
        default=None, description="JSON pointer into the body", examples=["#/url"]
    )
    parameter: str | None = Field(default=None, description="query, path or header parameter")
    detail: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


# What API Gateway itself answers on every management route, before the route runs: no live
# key, a route outside the key's scopes, over its plan's rate or daily quota (docs/api.md).
GATEWAY_STATUSES = (401, 403, 429)

_WHEN: dict[int, str] = {
    400: "Malformed request (a body that is not UTF-8 or not JSON, a bad cursor)",
    401: "Missing, unknown or revoked API key",
    403: "Outside the API key's scopes, or the key is on no plan",
    429: "Over the rate or the daily quota of the API key's plan: retry after `Retry-After` s",
    404: "No such resource, or not yours",
    409: "Conflict (a taken alias, a retry still in progress)",
    413: "Request body over 64 KiB",
    415: "Request body is not JSON",
    422: "Invalid request; `errors` lists each field",
}


_HEADERS: dict[int, dict[str, OpenAPIResponseHeader]] = {
    429: {
        "Retry-After": {
            "description": "Seconds to wait: 1 over the rate, 3600 over the daily quota",
            "schema": {"type": "integer"},
        }
    },
}


def problem_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` for the given error statuses, each an RFC 9457 problem."""
    responses: dict[int, OpenAPIResponse] = {}
    for status in statuses:
        response: OpenAPIResponse = {
            "description": _WHEN.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_CONTENT_TYPE: {"model": ProblemDetails}},
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        responses[status] = response
    return responses


def documented_responses(
    success_status: int,
    description: str,
    *problem_statuses: int,
    headers: dict[str, OpenAPIResponseHeader] | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's `responses`: its success (schema from the return annotation, and `headers`)
    and its problems.

    422 is always listed: with validation on, any parameter can be invalid, and Powertools would
    otherwise document its own JSON error shape instead of ours. So are API Gateway's own 401,
    403 and 429 (GATEWAY_STATUSES): every management route is behind the authorizer and a plan.
    """
    success: OpenAPIResponse = {"description": description}
    if headers:
        success["headers"] = headers
    if success_status == HTTPStatus.NO_CONTENT:
        success["content"] = {}
    statuses = sorted({*problem_statuses, 422, *GATEWAY_STATUSES})
    return {success_status: success, **problem_responses(*statuses)}
