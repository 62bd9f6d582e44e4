"""GET (and HEAD) /{code}: the hot path every click takes, so its cold start is the one users feel.

It imports only the standard library and the AWS SDK's low-level DynamoDB client, and makes
one GetItem. No Powertools, pynamodb or pydantic: each adds tens of milliseconds to every cold
start. The client comes from botocore, the SDK's core, rather than through `import boto3`, which
also loads boto3's resource layer and s3transfer that a single GetItem never uses.

The link features (docs/api.md) cost a plain link nothing but a few more projected attributes:
- `utm`: `utm_*` parameters added to the target, URL-encoded, none the target already has;
- `targets`: the phone platform's URL, by CloudFront's device headers (in the redirect cache
  policy's key, so the CDN keeps devices apart) or, without them, the User-Agent; such answers
  carry `Vary: User-Agent`;
- `max_clicks`: one conditional UpdateItem per human click (bots and HEAD, by
  `shortener.user_agents`, loaded only for such links, use none), and `private, no-store` so
  that no cache answers for the check;
- `fallback_url`: where an expired or exhausted link sends the visitor (302) instead of a 410.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import botocore.loaders
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

LINKS_TABLE = os.environ["LINKS_TABLE_NAME"]
# How long CloudFront may serve a redirect without asking again (the stage's CDN TTL); browsers
# always ask again, so a changed or deleted link takes effect at the next CDN refresh.
CACHE_TTL_SECONDS = int(os.environ.get("REDIRECT_CACHE_TTL_SECONDS", "60"))
# A miss may soon be a hit (an alias created a moment later): cache it only briefly.
MISS_CACHE_SECONDS = 10
# Every answer of a usage-limited link: each click must reach the check.
UNCACHED = "private, no-store"
DEFAULT_REDIRECT_TYPE = 302
FALLBACK_REDIRECT_TYPE = 302
REDIRECT_CONTENT_TYPE = "text/plain; charset=utf-8"
PROBLEM_TYPE_BASE = "https://shortener.dev/problems/"
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
# CloudFront's device headers: "true" or "false", set when a cache policy names them.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html
DEVICE_HEADERS = {"ios": "cloudfront-is-ios-viewer", "android": "cloudfront-is-android-viewer"}
PROJECTION = "#url, expires_at, redirect_type, utm, max_clicks, clicks_used, fallback_url, targets"
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# What may stand in a Location header as it is: printable ASCII (no space, CR, LF or NUL).
_UNSAFE_IN_LOCATION = re.compile(r"[^\x21-\x7e]")

logger = logging.getLogger(__name__)


class _DynamoDBOnlyLoader(botocore.loaders.Loader):
    """botocore's data loader, told that DynamoDB is the one service this function asks for.

    Before loading a service's model, botocore lists every service it knows, a walk over the
    folders of some 400 services that costs a cold start ~20 ms (a sixth of the function's whole
    import); DynamoDB's model, its endpoint rules and the rest are still loaded as botocore
    always loads them.
    """

    def list_available_services(self, type_name: str) -> list[str]:
        return ["dynamodb"]


def _dynamodb_client() -> Any:
    session = botocore.session.get_session()
    session.register_component("data_loader", _DynamoDBOnlyLoader())
    return session.create_client("dynamodb")


# Created at import, in the init phase, so no click waits for it when the environment is warm.
dynamodb = _dynamodb_client()


def _key(code: str) -> dict[str, Any]:
    return {"pk": {"S": code}, "sk": {"S": "link"}}


def _find_link(code: str, *, consistent: bool) -> dict[str, Any] | None:
    response = dynamodb.get_item(
        TableName=LINKS_TABLE,
        Key=_key(code),
        ProjectionExpression=PROJECTION,
        ExpressionAttributeNames={"#url": "url"},  # URL is a DynamoDB reserved word
        ConsistentRead=consistent,
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def _use_a_click(code: str) -> bool:
    """Count one human click unless the limit is reached: one conditional update, atomic on
    DynamoDB's side however many clicks race. False when the link has no clicks left (or
    vanished: `max_clicks` exists only on a link item)."""
    try:
        dynamodb.update_item(
            TableName=LINKS_TABLE,
            Key=_key(code),
            UpdateExpression="ADD clicks_used :one",
            ConditionExpression=(
                "attribute_exists(max_clicks) AND "
                "(attribute_not_exists(clicks_used) OR clicks_used < max_clicks)"
            ),
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


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


def _safe_location(url: str) -> str:
    """The URL as a Location header may carry it: anything but printable ASCII percent-encoded,
    so no stored value can ever split the header or inject another."""
    return _UNSAFE_IN_LOCATION.sub(lambda m: quote(m.group(), safe=""), url)


def with_utm(url: str, utm: dict[str, Any]) -> str:
    """`url` with a `utm_*` parameter per UTM field, URL-encoded, after its own query; one the
    target already has stays as the target has it."""
    parts = urlsplit(url)
    present = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = [
        f"utm_{field}={quote(str(value['S']), safe='')}"
        for field in UTM_FIELDS
        if (value := utm.get(field)) and f"utm_{field}" not in present
    ]
    if not added:
        return url
    query = "&".join(([parts.query] if parts.query else []) + added)
    return urlunsplit(parts._replace(query=query))


def _platform(headers: dict[str, str]) -> str | None:
    """The visitor's phone platform: CloudFront's device headers when the CDN sent them (they
    are what its cache key keeps apart), else the User-Agent's tokens."""
    for platform, header in DEVICE_HEADERS.items():
        if headers.get(header, "").lower() == "true":
            return platform
    if any(header in headers for header in DEVICE_HEADERS.values()):
        return None
    from shortener.user_agents import mobile_platform

    return mobile_platform(headers.get("user-agent"))


def _is_human(method: str, headers: dict[str, str]) -> bool:
    # Loaded only here, for usage-limited links: the bot rules are heavy, plain links never pay.
    from shortener.user_agents import is_bot

    return not is_bot(headers.get("user-agent"), method)


def _redirect(status: int, location: str, cache_control: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "Location": _safe_location(location),
            "Cache-Control": cache_control,
            # A redirect has no body. Without a Content-Type, API Gateway would label the empty
            # body application/json.
            "Content-Type": REDIRECT_CONTENT_TYPE,
        },
        "body": "",
        "isBase64Encoded": False,
    }


def _gone(link: dict[str, Any], detail: str, cache_control: str) -> dict[str, Any]:
    """An expired or exhausted link: its fallback, else 410."""
    fallback = link.get("fallback_url", {}).get("S")
    if fallback:
        return _redirect(FALLBACK_REDIRECT_TYPE, fallback, cache_control)
    return _problem(410, "Gone", detail, cache_control)


def redirect(
    code: str, method: str = "GET", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The API Gateway response for a short code: its redirect, or 404, 410 or 503.

    `headers` are the request's, with lower-case names.
    """
    headers = headers or {}
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

    limited = "max_clicks" in link
    cache_control = UNCACHED if limited else _shared_cache(CACHE_TTL_SECONDS)
    expires_at = link.get("expires_at", {}).get("S")
    if expires_at:
        remaining = (datetime.fromisoformat(expires_at) - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            expired_cache = UNCACHED if limited else _shared_cache(MISS_CACHE_SECONDS)
            return _gone(link, "this short link has expired", expired_cache)
        if not limited:
            # Never let the CDN keep redirecting past the expiry.
            cache_control = _shared_cache(min(CACHE_TTL_SECONDS, int(remaining)))

    if limited:
        exhausted = int(link.get("clicks_used", {}).get("N", 0)) >= int(link["max_clicks"]["N"])
        if not exhausted and _is_human(method, headers):
            try:
                exhausted = not _use_a_click(code)
            except (BotoCoreError, ClientError):
                logger.exception("click count failed")
                return _problem(503, "Service Unavailable", "please retry in a moment", "no-store")
        if exhausted:
            return _gone(link, "this short link has used up its clicks", UNCACHED)

    location = link["url"]["S"]
    targets = link.get("targets", {}).get("M")
    if targets:
        platform = _platform(headers)
        if platform and platform in targets:
            location = targets[platform]["S"]
    utm = link.get("utm", {}).get("M")
    if utm:
        location = with_utm(location, utm)
    status = int(link.get("redirect_type", {}).get("N", DEFAULT_REDIRECT_TYPE))
    response = _redirect(status, location, cache_control)
    if targets:
        # Which target depends on the device: no shared cache may hand one device's answer to
        # another (CloudFront keys on its device headers instead, see the cache policy).
        response["headers"]["Vary"] = "User-Agent"
    return response


def _lower_case(headers: dict[str, str] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = event.get("httpMethod") or "GET"
    code = (event.get("pathParameters") or {}).get("code") or ""
    response = redirect(code, method, _lower_case(event.get("headers")))
    if method == "HEAD":
        # What GET answers, status and headers, without the body (link checkers ask this way).
        response["body"] = ""
    return response
