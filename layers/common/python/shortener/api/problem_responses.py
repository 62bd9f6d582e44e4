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


_WHEN: dict[int, str] = {
    400: "Malformed request (a body that is not UTF-8 or not JSON, a bad cursor)",
    401: "Missing, unknown or revoked API key",
    404: "No such resource, or not yours",
    409: "Conflict (a taken alias, a retry still in progress)",
    413: "Request body over 64 KiB",
    415: "Request body is not JSON",
    422: "Invalid request; `errors` lists each field",
}


def problem_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` for the given error statuses, each an RFC 9457 problem."""
    return {
        status: {
            "description": _WHEN.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_CONTENT_TYPE: {"model": ProblemDetails}},
        }
        for status in statuses
    }


def documented_responses(
    success_status: int,
    description: str,
    *problem_statuses: int,
    headers: dict[str, OpenAPIResponseHeader] | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's `responses`: its success (schema from the return annotation, and `headers`)
    and its problems.

    422 is always listed: with validation on, any parameter can be invalid, and Powertools would
    otherwise document its own JSON error shape instead of ours.
    """
    success: OpenAPIResponse = {"description": description}
    if headers:
        success["headers"] = headers
    if success_status == HTTPStatus.NO_CONTENT:
        success["content"] = {}
    return {success_status: success, **problem_responses(*sorted({*problem_statuses, 422}))}
