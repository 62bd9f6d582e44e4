"""GET /links/{code}/qr: request-reply over the asynchronous QR consumer.

202 + Retry-After while the QR consumer has not written the images of the link, then 200 with
the images' URLs on the CDN, `{short base}/qr/{code}.png|svg`: stable (they never expire, so
they can be printed and embedded), public, and served from the private bucket by the CDN alone.
Readiness is what the QR effect's status says (its detail names the objects while they exist),
so this answer never runs ahead of the images.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from shortener import effects, settings
from shortener.api.caller import current_owner
from shortener.api.problem_responses import GATEWAY_STATUSES, problem_responses
from shortener.links import store
from shortener.problems import not_found
from shortener.qr_status import EFFECT, ready_images

router = Router()

# The QR consumer runs within a second or two of the write: poll about that often.
RETRY_AFTER_SECONDS = 1


class QrPending(BaseModel):
    status: Literal["pending"] = "pending"


class QrReady(BaseModel):
    status: Literal["ready"] = "ready"
    png_url: str = Field(description="The PNG's URL on the CDN: stable, never expires")
    svg_url: str = Field(description="The SVG's URL on the CDN: stable, never expires")


def image_url(key: str) -> str:
    """An image's key is its path on the CDN."""
    return f"{settings.short_base_url()}/{key}"


@router.get(
    "/links/<code>/qr",
    summary="The QR codes of a link",
    description="202 with `Retry-After` until the QR codes exist, then 200 with their URLs.",
    tags=["links"],
    responses={
        200: {
            "description": "The PNG and SVG QR codes exist",
            "content": {content_types.APPLICATION_JSON: {"model": QrReady}},
        },
        202: {
            "description": "The QR codes are being made: ask again after `Retry-After` seconds",
            "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
            "content": {content_types.APPLICATION_JSON: {"model": QrPending}},
        },
        **problem_responses(*GATEWAY_STATUSES, 404, 422),
    },
)
def get_link_qr(
    code: Annotated[str, Path(description="The link's short code")],
) -> Response[QrReady | QrPending]:
    link = store.find_owned(code, current_owner(router))
    if link is None:
        raise not_found("the link")
    images = ready_images(effects.current(code, EFFECT), link.created_at)
    if images is None:
        return Response(
            status_code=202,
            content_type=content_types.APPLICATION_JSON,
            body=QrPending(),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    png, svg = images
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=QrReady(png_url=image_url(png), svg_url=image_url(svg)),
    )
