"""The rules a link obeys, as plain functions: pydantic models and the service both use them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from shortener import host_names
from shortener.clock import utcnow
from shortener.links import codes
from shortener.problems import Problem

MAX_URL_LENGTH = 2048
TARGET_SCHEMES = frozenset({"http", "https"})
REDIRECT_TYPES = (301, 302, 307, 308)
MAX_TAGS = 10
TAG_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
MAX_UTM_LENGTH = 100
MAX_CLICKS = 1_000_000_000


def check_target_url(url: str) -> str:
    """An absolute http(s) URL with a host: anything else is no place to send a browser.

    The URL comes back in ASCII (see `host_names`): that is what is stored and redirected to.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise ValueError("must not contain spaces or control characters")
    if "\\" in url:
        # Browsers read `\` as `/` in http(s) URLs, so `http://a\@b/` would go to another host
        # than the one checked here (WHATWG URL standard).
        raise ValueError("must not contain backslashes")
    try:
        parts = urlsplit(url)
        _ = parts.port  # an unparsable port raises here rather than at redirect time
    except ValueError:
        raise ValueError("must be a well-formed URL") from None
    if parts.scheme.lower() not in TARGET_SCHEMES:
        raise ValueError("must be an absolute http or https URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if "%" in parts.hostname:
        # Browsers decode a host's %XX first: `%6cocalhost` is localhost.
        raise ValueError("must not percent-encode its host")
    ascii_form = host_names.ascii_url(url)
    if len(ascii_form) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters once percent-encoded")
    return ascii_form


def check_alias(alias: str) -> str:
    if not codes.is_valid_alias(alias):
        raise ValueError("must be 3 to 64 characters of A-Z, a-z, 0-9, '_' and '-'")
    if codes.is_reserved(alias):
        raise ValueError(f"'{alias}' is reserved")
    return alias


def check_unique(values: list[str]) -> list[str]:
    """Tags are a set in a given order: a repeated one is a mistake the caller should hear of."""
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"must not repeat an item: {', '.join(repeated)}")
    return values


def check_future(moment: datetime) -> datetime:
    if moment <= utcnow():
        raise ValueError("must be in the future")
    try:
        moment.astimezone(UTC)  # stored in UTC: the last hours of year 9999 may not fit
    except OverflowError:
        raise ValueError("must be a time before the year 10000 in UTC") from None
    return moment


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def points_at(url: str, origin: str) -> bool:
    """Whether `url` reaches `origin` (`host` or `host:port`, as in a URL or a Host header).

    Names compare by host, in canonical form (`host_names`). Loopback compares by port: every
    spelling of this machine (`localhost`, `127.1`, `[::1]`, `0.0.0.0` ...) is the same host, and
    on a local stack only the port tells the stack from anything else running there.
    """
    try:
        target = urlsplit(url)
        own = urlsplit(f"//{origin}")
        target_port, own_port = target.port, own.port
    except ValueError:
        return False
    target_host, own_host = target.hostname or "", own.hostname or ""
    if not target_host or not own_host:
        return False
    if host_names.is_loopback(target_host):
        port = target_port or _default_port(target.scheme)
        own_ports = (own_port,) if own_port else (80, 443)
        return host_names.is_loopback(own_host) and port in own_ports
    try:
        return host_names.canonical_host(target_host) == host_names.canonical_host(own_host)
    except host_names.InvalidHost:
        return False


def ensure_not_self_referencing(
    url: str, own_origins: Iterable[str], *, pointer: str = "#/url"
) -> None:
    """A link to the shortener itself would loop (or launder one short link through another)."""
    if any(points_at(url, origin) for origin in own_origins if origin):
        field = pointer.removeprefix("#/").replace("/", ".")
        raise Problem(
            422,
            f"the {field} must not point at the shortener itself",
            slug="validation-error",
            title="Invalid request",
            errors=[{"pointer": pointer, "detail": "must not point at the shortener itself"}],
        )
