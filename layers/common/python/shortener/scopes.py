"""What a key may do: the scopes, and which scope each management route needs.

One table for every (method, path) of the management API, so that the authorizer's policy
(shortener.access_policy), `ops keys create --scopes` and the documentation agree. HEAD is
answered wherever GET is, and needs what GET needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

LINKS_READ: Final = "links:read"
LINKS_WRITE: Final = "links:write"
WEBHOOKS_READ: Final = "webhooks:read"
WEBHOOKS_WRITE: Final = "webhooks:write"
STATS_READ: Final = "stats:read"
# In the order they are documented and listed.
ALL_SCOPES: Final = (LINKS_READ, LINKS_WRITE, WEBHOOKS_READ, WEBHOOKS_WRITE, STATS_READ)

_GET_ROUTE_SCOPES: Final = {
    "/links": LINKS_READ,
    "/links/{code}": LINKS_READ,
    "/links/{code}/qr": LINKS_READ,
    "/links/{code}/clicks": STATS_READ,  # click analytics are statistics
    "/webhooks": WEBHOOKS_READ,
    "/webhooks/{id}/deliveries": WEBHOOKS_READ,
    "/webhooks/{id}/deliveries/{delivery_id}": WEBHOOKS_READ,
    "/stats": STATS_READ,
}
_WRITE_ROUTE_SCOPES: Final = {
    ("POST", "/links"): LINKS_WRITE,
    ("POST", "/links/bulk"): LINKS_WRITE,
    ("PATCH", "/links/{code}"): LINKS_WRITE,
    ("DELETE", "/links/{code}"): LINKS_WRITE,
    ("POST", "/webhooks"): WEBHOOKS_WRITE,
    ("PATCH", "/webhooks/{id}"): WEBHOOKS_WRITE,
    ("DELETE", "/webhooks/{id}"): WEBHOOKS_WRITE,
    ("POST", "/webhooks/{id}/rotate-secret"): WEBHOOKS_WRITE,
    ("POST", "/webhooks/{id}/test"): WEBHOOKS_WRITE,
    ("POST", "/webhooks/{id}/recover"): WEBHOOKS_WRITE,
    ("POST", "/webhooks/{id}/deliveries/{delivery_id}/resend"): WEBHOOKS_WRITE,
}
# (method, resource path) -> the scope a key needs to call it.
ROUTE_SCOPES: Final[dict[tuple[str, str], str]] = {
    **{
        (method, path): scope
        for path, scope in _GET_ROUTE_SCOPES.items()
        for method in ("GET", "HEAD")
    },
    **_WRITE_ROUTE_SCOPES,
}


class UnknownScope(ValueError):
    """A scope name that is not one of ALL_SCOPES."""


def parse_scopes(text: str | None) -> tuple[str, ...]:
    """`links:read,links:write` -> the scopes, in documented order; None or blank -> all."""
    if text is None or not text.strip():
        return ALL_SCOPES
    return normalized(part.strip() for part in text.split(",") if part.strip())


def normalized(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes, each once and in documented order; UnknownScope names the first stranger."""
    wanted = set(scopes)
    unknown = sorted(wanted - set(ALL_SCOPES))
    if unknown:
        raise UnknownScope(f"unknown scope {unknown[0]!r}: choose from {', '.join(ALL_SCOPES)}")
    return tuple(scope for scope in ALL_SCOPES if scope in wanted)


def routes_of(scopes: Iterable[str]) -> list[tuple[str, str]]:
    """The (method, path) pairs keys with these scopes may call."""
    granted = set(scopes)
    return [route for route, scope in ROUTE_SCOPES.items() if scope in granted]
