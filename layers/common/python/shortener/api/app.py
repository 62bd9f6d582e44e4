"""The management API: one Powertools resolver with every router, and one shape for every error.

Errors of every kind, raised by any router, leave as RFC 9457 problems: a `Problem` as it is,
Powertools' validation errors as 422 (400 for a body that is not JSON at all), an unknown route
as 404 and anything unexpected as a 500 that is logged with its stack trace but never shows it.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, content_types
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from shortener.api import (
    clicks_routes,
    docs,
    links_routes,
    qr_routes,
    stats_routes,
    webhooks_routes,
)
from shortener.api.document import finish
from shortener.api.problem_responses import problem_responses
from shortener.problems import PROBLEM_CONTENT_TYPE, Problem, validation_problem

MAX_BODY_BYTES = 64 * 1024
API_TITLE = "Shortener API"
API_VERSION = "1.0.0"

logger = Logger(child=True)


def parse_json_body(text: str) -> dict[str, Any]:
    """The request body as a JSON object: too large is 413, not JSON is 400 and any other JSON
    value (an array, say) is 422, before any validation.

    Every body of the API is an object. Powertools would otherwise validate the first element
    of an array body against the route's model (it unwraps lists, meant for query strings), so
    `[{"url": ...}, {"url": "javascript:..."}]` would create a link from its first item.
    """
    if len(text.encode()) > MAX_BODY_BYTES:
        raise Problem(413, f"the request body exceeds {MAX_BODY_BYTES} bytes", slug="too-large")
    body = _json_value(text)
    if not isinstance(body, dict):
        raise Problem(
            422,
            "the request body must be a JSON object",
            slug="validation-error",
            title="Invalid request",
            errors=[{"pointer": "#", "detail": f"must be an object, not {_json_type(body)}"}],
        )
    return body


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (`array`, `string` ...)."""
    names = ((bool, "a boolean"), (list, "an array"), (str, "a string"), (int | float, "a number"))
    return next((name for kind, name in names if isinstance(value, kind)), "null")


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at position {error.pos}"
    except (ValueError, RecursionError):
        # Valid JSON the parser still refuses: a number past Python's digit limit, or nesting
        # deeper than it recurses. The caller's mistake either way, not a 500.
        reason = "a number is too long or the nesting too deep"
    raise Problem(400, f"the request body is not valid JSON ({reason})", slug="malformed-json")


app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=parse_json_body)
for routes in (
    links_routes.router,
    qr_routes.router,
    clicks_routes.router,
    stats_routes.router,
    webhooks_routes.router,
):
    app.include_router(routes)


def problem_response(problem: Problem) -> Response[str]:
    return Response(
        status_code=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=problem.to_json(),
        headers=problem.headers,
    )


@app.exception_handler(Problem)
def _answer_problem(problem: Problem) -> Response[str]:
    return problem_response(problem)


@app.exception_handler(RequestValidationError)
def _answer_invalid_request(error: RequestValidationError) -> Response[str]:
    return problem_response(validation_problem(error.errors()))


@app.exception_handler(RequestUnsupportedContentType)
def _answer_unsupported_content(_: RequestUnsupportedContentType) -> Response[str]:
    return problem_response(Problem(415, "the request body must be application/json"))


@app.not_found
def _answer_no_route(_: NotFoundError) -> Response[str]:
    return problem_response(Problem(404, "there is no such resource", slug="not-found"))


@app.exception_handler(ServiceError)
def _answer_service_error(error: ServiceError) -> Response[str]:
    return problem_response(Problem(error.status_code, str(error.msg)))


def refuse_unsupported_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """415 for a request body that is not JSON, before Powertools tries to parse it as a form
    (a multipart body without a boundary would be a 500 there). Only JSON is documented."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if event.get("httpMethod") not in _BODY_METHODS or not content_type:
        return None
    if content_type == content_types.APPLICATION_JSON:
        return None
    problem = Problem(415, "the request body must be application/json")
    return {
        "statusCode": problem.status,
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE},
        "body": problem.to_json(),
        "isBase64Encoded": False,
    }


_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


@app.exception_handler(UnicodeDecodeError)
def _answer_undecodable(error: UnicodeDecodeError) -> Response[str]:
    event = app.current_event
    if event.is_base64_encoded and not _is_utf8(event.body or ""):
        # API Gateway passes on a body that is not UTF-8 in base64; JSON must be UTF-8.
        return problem_response(
            Problem(400, "the request body is not UTF-8 text", slug="malformed-json")
        )
    return _answer_unexpected(error)


def _is_utf8(base64_body: str) -> bool:
    try:
        base64.b64decode(base64_body).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    return True


@app.exception_handler(Exception)
def _answer_unexpected(_: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return problem_response(Problem(500, "something went wrong on our side", slug="internal"))


@cache
def openapi_json() -> str:
    """The OpenAPI document of every route, generated from the code (once per process)."""
    # Imported here, not at the top: the OpenAPI models cost every cold start tens of
    # milliseconds, and only this document needs them.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Tag

    document = app.get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        description=(
            "Short links over HTTPS. A request waits only for the link write; QR codes, "
            "analytics, email, webhooks and CDN invalidation follow asynchronously. The short "
            "links themselves redirect at `GET /{code}` (no key). Errors are RFC 9457 problem "
            "details."
        ),
        tags=[
            Tag(name="links", description="Create, read, change and delete short links"),
            Tag(name="webhooks", description="Partner endpoints and their delivery logs"),
            Tag(name="stats", description="Daily counts of link changes, per owner"),
            Tag(name="docs", description="This document (no key); Swagger UI at `GET /docs`"),
        ],
        security_schemes={
            "apiKey": HTTPBearer(
                description="`Authorization: Bearer shk_...`, from `ops keys create`"
            )
        },
        security=[{"apiKey": []}],
    )
    return finish(document)


# In the document itself: the one operation anyone may try out from the docs page.
@app.get(
    "/openapi.json",
    summary="This OpenAPI document",
    tags=["docs"],
    security=[{}],
    responses={
        200: {
            "description": "The OpenAPI 3 document of the management API",
            "content": {content_types.APPLICATION_JSON: {"schema": {"type": "object"}}},
        },
        # Validation is on for every route: Powertools would document its own 422 shape.
        **problem_responses(422),
    },
)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_json()
    )


@app.get(docs.PAGE_PATH, include_in_schema=False)
def docs_page() -> Response[str]:
    if app.current_event.path.endswith("/"):
        # The page links its assets relative to itself: `/docs/` would look for `/docs/docs/`.
        return Response(status_code=308, headers={"Location": "../docs"}, body="")
    return Response(
        status_code=200,
        content_type=docs.HTML_CONTENT_TYPE,
        body=docs.page(openapi_json(), API_TITLE),
        headers={"Cache-Control": docs.PAGE_CACHE_CONTROL},
    )


def _docs_asset(name: str) -> Response[str]:
    return Response(
        status_code=200,
        content_type=docs.ASSET_CONTENT_TYPES[name],
        body=docs.asset(name),
        headers={"Cache-Control": docs.ASSET_CACHE_CONTROL},
    )


@app.get(f"{docs.PAGE_PATH}/{docs.JS_FILE}", include_in_schema=False)
def docs_script() -> Response[str]:
    return _docs_asset(docs.JS_FILE)


@app.get(f"{docs.PAGE_PATH}/{docs.CSS_FILE}", include_in_schema=False)
def docs_stylesheet() -> Response[str]:
    return _docs_asset(docs.CSS_FILE)
