"""GET (and HEAD) /{code}: the hot path every click takes, so its cold start is the one users feel.

It imports only the standard library and the AWS SDK's low-level DynamoDB client, and makes
one GetItem. No Powertools, pynamodb or pydantic: each adds tens of milliseconds to every cold
start. The client comes from botocore, the SDK's core, rather than through `import boto3`, which
also loads boto3's resource layer and s3transfer that a single GetItem never uses.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

LINKS_TABLE = os.environ["LINKS_TABLE_NAME"]
# How long CloudFront may serve a redirect without asking again (the stage's CDN TTL); browsers
# always ask again, so a changed or deleted link takes effect at the next CDN refresh.
CACHE_TTL_SECONDS = int(os.environ.get("REDIRECT_CACHE_TTL_SECONDS", "60"))
# A miss may soon be a hit (an alias created a moment later): cache it only briefly.
MISS_CACHE_SECONDS = 10
DEFAULT_REDIRECT_TYPE = 302
REDIRECT_CONTENT_TYPE = "text/plain; charset=utf-8"
PROBLEM_TYPE_BASE = "https://shortener.dev/problems/"
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")

logger = logging.getLogger(__name__)
# Created at import, in the init phase, so no click waits for it when the environment is warm.
dynamodb = botocore.session.get_session().create_client("dynamodb")


def _find_link(code: str, *, consistent: bool) -> dict[str, Any] | None:
    response = dynamodb.get_item(
        TableName=LINKS_TABLE,
        Key={"pk": {"S": code}, "sk": {"S": "link"}},
        ProjectionExpression="#url, expires_at, redirect_type",
        ExpressionAttributeNames={"#url": "url"},  # URL is a DynamoDB reserved word
        ConsistentRead=consistent,
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def _problem(status: int, title: str, detail: str, cache_control: str) -> dict[str, Any]:
    body = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/problem+json", "Cache-Control": cache_control},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _shared_cache(seconds: int) -> str:
    return f"public, max-age=0, s-maxage={max(seconds, 0)}"


def redirect(code: str) -> dict[str, Any]:
    """The API Gateway response for a short code: its redirect, or 404, 410 or 503."""
    try:
        # Most codes exist, and an eventually consistent read costs half; only a miss is
        # confirmed with a consistent read, so a link created a moment ago never looks absent.
        link = None
        if _CODE.fullmatch(code):
            link = _find_link(code, consistent=False) or _find_link(code, consistent=True)
    except (BotoCoreError, ClientError):
        logger.exception("link lookup failed")
        return _problem(503, "Service Unavailable", "please retry in a moment", "no-store")
    if link is None:
        detail = "no short link has this code"
        return _problem(404, "Not Found", detail, _shared_cache(MISS_CACHE_SECONDS))

    cache_seconds = CACHE_TTL_SECONDS
    expires_at = link.get("expires_at", {}).get("S")
    if expires_at:
        remaining = (datetime.fromisoformat(expires_at) - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            detail = "this short link has expired"
            return _problem(410, "Gone", detail, _shared_cache(MISS_CACHE_SECONDS))
        # Never let the CDN keep redirecting past the expiry.
        cache_seconds = min(cache_seconds, int(remaining))
    return {
        "statusCode": int(link.get("redirect_type", {}).get("N", DEFAULT_REDIRECT_TYPE)),
        "headers": {
            "Location": link["url"]["S"],
            "Cache-Control": _shared_cache(cache_seconds),
            # A redirect has no body. Without a Content-Type, API Gateway would label the empty
            # body application/json.
            "Content-Type": REDIRECT_CONTENT_TYPE,
        },
        "body": "",
        "isBase64Encoded": False,
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = redirect((event.get("pathParameters") or {}).get("code") or "")
    if event.get("httpMethod") == "HEAD":
        # What GET answers, status and headers, without the body (link checkers ask this way).
        response["body"] = ""
    return response
