"""Routes of the management API for links: parse the request, call the link service."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponseHeader

from shortener import settings
from shortener.api.caller import current_owner
from shortener.api.own_origins import own_origins
from shortener.api.problem_responses import documented_responses
from shortener.links import bulk, service
from shortener.links.schemas import (
    BulkCreateRequest,
    BulkCreateResponse,
    CreateLinkRequest,
    Link,
    LinkPage,
    LinkWithEffects,
    UpdateLinkRequest,
)
from shortener.links.validation import TAG_PATTERN
from shortener.page_cursors import MAX_CURSOR_LENGTH

router = Router()

TAGS = ["links"]
CodeParameter = Annotated[str, Path(description="The link's short code")]
CREATED_LINK_LOCATION: OpenAPIResponseHeader = {
    "description": "The new link's absolute URL: `{short base URL}/links/{code}`",
    "schema": {"type": "string", "format": "uri"},
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying with the same key returns the first response (24 hours).",
    ),
]


@router.post(
    "/links",
    summary="Create a short link",
    description="Answers as soon as the link is written; its side effects follow asynchronously.",
    tags=TAGS,
    status_code=201,
    responses=documented_responses(
        201,
        "The new link; `Location` names it",
        400,
        401,
        409,
        413,
        415,
        headers={"Location": CREATED_LINK_LOCATION},
    ),
)
def create_link(
    link: Annotated[CreateLinkRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Link]:
    created = service.create_link(
        current_owner(router),
        link,
        own_origins=own_origins(router.current_event),
        idempotency_key=idempotency_key,
        lambda_context=router.lambda_context,
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=created,
        # Absolute: a relative reference would resolve without the stage of an API Gateway URL.
        headers={"Location": f"{settings.short_base_url()}/links/{created.code}"},
    )


@router.post(
    "/links/bulk",
    summary="Create up to 100 short links in one request",
    description=(
        "Each item is created exactly as by `POST /links`, on its own: the answer lists every "
        "item's result in request order, a `201` with its link or a problem with nothing "
        "written for it. Each created link has its own `link.created` and side effects."
    ),
    tags=TAGS,
    responses=documented_responses(
        200, "Each item's result, in request order", 400, 401, 409, 413, 415
    ),
)
def create_links(
    request: Annotated[BulkCreateRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> BulkCreateResponse:
    results: dict[str, Any] = bulk.create_links(
        current_owner(router),
        request.items,
        own_origins=own_origins(router.current_event),
        idempotency_key=idempotency_key,
        lambda_context=router.lambda_context,
    )
    return BulkCreateResponse.model_validate(results)


@router.get(
    "/links",
    summary="List your links, newest first",
    tags=TAGS,
    responses=documented_responses(200, "A page of your links", 400, 401),
)
def list_links(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page"),
    ] = None,
    tag: Annotated[
        str | None, Query(pattern=TAG_PATTERN, description="Only the links with this tag")
    ] = None,
) -> LinkPage:
    return service.list_links(current_owner(router), limit, cursor, tag)


@router.get(
    "/links/<code>",
    summary="Get a link and the status of its side effects",
    tags=TAGS,
    responses=documented_responses(200, "The link and its side effects", 401, 404),
)
def get_link(code: CodeParameter) -> LinkWithEffects:
    return service.get_link(current_owner(router), code)


@router.patch(
    "/links/<code>",
    summary="Change where a link redirects, when it expires or how it redirects",
    tags=TAGS,
    responses=documented_responses(200, "The link as it is now", 400, 401, 404, 413, 415),
)
def update_link(code: CodeParameter, changes: Annotated[UpdateLinkRequest, Body()]) -> Link:
    return service.update_link(
        current_owner(router), code, changes, own_origins=own_origins(router.current_event)
    )


@router.delete(
    "/links/<code>",
    summary="Delete a link: its code stops redirecting",
    tags=TAGS,
    status_code=204,
    responses=documented_responses(204, "Deleted", 401, 404),
)
def delete_link(code: CodeParameter) -> Response[None]:
    service.delete_link(current_owner(router), code)
    return Response(status_code=204, content_type=None, body=None)
