"""What the OpenAPI document says beyond Powertools' routes: HEAD beside every GET, the public
redirect at /{code} (another function, so not a route of the resolver), and only the schemas
that something refers to (Powertools adds its own validation-error shapes, which this API never
answers: its errors are RFC 9457 problems)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from shortener.api.problem_responses import problem_responses
from shortener.links.codes import RESERVED_PATHS
from shortener.problems import PROBLEM_CONTENT_TYPE

REDIRECT_PATH = "/{code}"
# What the redirect takes, minus the names the API's own paths have (API Gateway routes those).
_CODE_PATTERN = (
    "^(?!(?:"
    + "|".join(sorted(re.escape(path) for path in RESERVED_PATHS))
    + ")$)[A-Za-z0-9_-]{1,64}$"
)
REDIRECT_STATUSES = {
    301: "Moved permanently (the link's `redirect_type`)",
    302: "Found: the default redirect",
    307: "Temporary redirect, keeping the method",
    308: "Permanent redirect, keeping the method",
}
REDIRECT_HEADERS = {
    "Location": {"description": "The link's target URL", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "How long the CDN may keep the answer (`s-maxage`)",
        "schema": {"type": "string"},
    },
}


def finish(document_json: str) -> str:
    """Powertools' document, completed: see the module's docstring."""
    document = json.loads(document_json)
    document["paths"][REDIRECT_PATH] = {"get": _redirect_operation()}
    for path_item in document["paths"].values():
        if "get" in path_item and "head" not in path_item:
            path_item["head"] = _head_of(path_item["get"])
    _drop_unreferenced_schemas(document)
    return json.dumps(document, indent=2)


def _head_of(get: dict[str, Any]) -> dict[str, Any]:
    """HEAD: the GET's status codes and headers, never a body."""
    head = copy.deepcopy(get)
    head["operationId"] = get["operationId"].removesuffix("_get") + "_head"
    head["summary"] = f"{get.get('summary', 'GET')}: headers only"
    head.pop("description", None)
    for response in head["responses"].values():
        response.pop("content", None)
    return head


def _redirect_operation() -> dict[str, Any]:
    redirects = {
        str(status): {"description": description, "headers": REDIRECT_HEADERS}
        for status, description in REDIRECT_STATUSES.items()
    }
    problems = problem_responses(404, 410, 503)
    problems[404]["description"] = "No link has this code"
    problems[410]["description"] = "The link has expired"
    problems[503]["description"] = "The lookup failed: retry in a moment"
    return {
        "tags": ["redirect"],
        "summary": "Follow a short link (no key)",
        "description": "A redirect to the link's URL with its `redirect_type`, and no body.",
        "operationId": "follow_link__code__get",
        "security": [],
        "parameters": [
            {
                "name": "code",
                "in": "path",
                "required": True,
                "description": "The short code (the paths of the API itself are not codes)",
                "schema": {
                    "type": "string",
                    "pattern": _CODE_PATTERN,
                    "not": {"enum": sorted(RESERVED_PATHS)},
                },
            }
        ],
        "responses": {
            **redirects,
            **{
                str(status): {
                    "description": response["description"],
                    "content": {
                        PROBLEM_CONTENT_TYPE: {
                            "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                        }
                    },
                }
                for status, response in problems.items()
            },
        },
    }


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    while True:
        rest = {**document, "components": {**document["components"], "schemas": {}}}
        text = json.dumps(rest) + json.dumps(list(schemas.values()))
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]
