"""The rules a link obeys, as plain functions: pydantic models and the service both use them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from shortener.clock import utcnow
from shortener.links import codes
from shortener.problems import Problem

MAX_URL_LENGTH = 2048
TARGET_SCHEMES = frozenset({"http", "https"})
REDIRECT_TYPES = (301, 302, 307, 308)


def check_target_url(url: str) -> str:
    """An absolute http(s) URL with a host: anything else is no place to send a browser."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # an unparsable port raises here rather than at redirect time
    except ValueError:
        raise ValueError("must be a well-formed URL") from None
    if parts.scheme.lower() not in TARGET_SCHEMES:
        raise ValueError("must be an absolute http or https URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    return url


def check_alias(alias: str) -> str:
    if not codes.is_valid_alias(alias):
        raise ValueError("must be 3 to 64 characters of A-Z, a-z, 0-9, '_' and '-'")
    if codes.is_reserved(alias):
        raise ValueError(f"'{alias}' is reserved")
    return alias


def check_future(moment: datetime) -> datetime:
    if moment <= utcnow():
        raise ValueError("must be in the future")
    try:
        moment.astimezone(UTC)  # stored in UTC: the last hours of year 9999 may not fit
    except OverflowError:
        raise ValueError("must be a time before the year 10000 in UTC") from None
    return moment


def host_of(url: str) -> str:
    """The host a URL names, compared case-insensitively and without a trailing dot."""
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def ensure_not_self_referencing(url: str, own_hosts: Iterable[str]) -> None:
    """A link to the shortener itself would loop (or launder one short link through another)."""
    own = {host.rstrip(".").lower() for host in own_hosts if host}
    if host_of(url) in own:
        raise Problem(
            422,
            "the url must not point at the shortener itself",
            slug="validation-error",
            title="Invalid request",
            errors=[{"pointer": "#/url", "detail": "must not point at the shortener itself"}],
        )
