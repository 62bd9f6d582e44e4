"""RFC 9457 problem details: the one shape every error of the API takes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://shortener.dev/problems/"


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem response and change nothing."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.type = PROBLEM_TYPE_BASE + (slug or self.title.lower().replace(" ", "-"))
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return body

    def to_json(self) -> str:
        return json.dumps(self.body())


_VALUE_ERROR_PREFIX = "Value error, "


def field_error(error: Mapping[str, Any]) -> dict[str, str]:
    """One pydantic error as a problem's field error, without echoing the input back.

    `loc` starts with where the value came from (`body`, `query` ...): a body field is a JSON
    pointer into the body, anything else a named parameter.
    """
    location, *path = error.get("loc") or ("body",)
    detail = str(error.get("msg", "is invalid")).removeprefix(_VALUE_ERROR_PREFIX)
    if location == "body":
        pointer = "#" + "".join(f"/{part}" for part in path)
        return {"pointer": pointer, "detail": detail}
    return {"parameter": ".".join(str(part) for part in path), "detail": detail}


def validation_problem(errors: Iterable[Mapping[str, Any]]) -> Problem:
    """The 422 of a request that is not valid, one field error per pydantic error."""
    return Problem(
        422,
        "the request is not valid: see errors",
        slug="validation-error",
        title="Invalid request",
        errors=[field_error(error) for error in errors],
    )


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} was not found", slug="not-found")
