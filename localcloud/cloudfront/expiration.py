"""How long an origin's answer stays in the edge cache: the cache policy's TTLs, bounded by
what the origin says (`Cache-Control: s-maxage`, then `max-age`, then `Expires`).

- The origin's own value, clamped to [MinTTL, MaxTTL]; none: DefaultTTL. `no-store`,
  `no-cache` or `private` with MinTTL 0: not cached; with MinTTL > 0: MinTTL.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html
- 307 and 308 are cached only with a `Cache-Control` header.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-3xx-status-codes.html
- Errors CloudFront caches stay for the greater of the origin's value and the error caching
  minimum TTL (10 s by default), never past MaxTTL; `no-store`/`no-cache`/`private` on a 404,
  410, 414 or 501 is not cached; 416 never is.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from localcloud.cloudfront.policies import CachePolicy

ERROR_CACHING_MIN_TTL = 10
CACHED_ERRORS = frozenset({400, 403, 404, 405, 410, 414, 500, 501, 502, 503, 504})
_NO_STORE_HONOURED_FOR = frozenset({404, 410, 414, 501})
CACHED_SUCCESSES = frozenset({200, 203, 204, 206, 300, 301, 302, 303, 304, 307, 308})
_DIRECTIVE = re.compile(r"\s*([A-Za-z-]+)\s*(?:=\s*\"?(\d+)\"?)?\s*")
_UNCACHEABLE = frozenset({"no-store", "no-cache", "private"})


def _directives(cache_control: str | None) -> dict[str, int | None]:
    directives: dict[str, int | None] = {}
    for part in (cache_control or "").split(","):
        found = _DIRECTIVE.fullmatch(part)
        if found:
            value = found.group(2)
            directives[found.group(1).lower()] = int(value) if value is not None else None
    return directives


def _origin_seconds(
    directives: dict[str, int | None], expires: str | None, date: str | None
) -> int | None:
    for name in ("s-maxage", "max-age"):
        value = directives.get(name)
        if value is not None:
            return value
    if expires:
        try:
            until = parsedate_to_datetime(expires)
            since = parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            return 0  # an unparsable Expires is in the past, as HTTP caches treat it
        if since is not None and until.tzinfo is not None and since.tzinfo is not None:
            return max(int((until - since).total_seconds()), 0)
    return None


def ttl_seconds(
    policy: CachePolicy,
    status: int,
    cache_control: str | None,
    expires: str | None = None,
    date: str | None = None,
) -> int:
    """Seconds the answer may be served from the cache; 0: not cached."""
    directives = _directives(cache_control)
    origin = _origin_seconds(directives, expires, date)
    refuses = bool(_UNCACHEABLE & directives.keys())
    if status in CACHED_ERRORS:
        if refuses and status in _NO_STORE_HONOURED_FOR:
            return 0
        wanted = max(origin or 0, ERROR_CACHING_MIN_TTL) if not refuses else ERROR_CACHING_MIN_TTL
        return min(wanted, policy.max_ttl)
    if status not in CACHED_SUCCESSES or (status in (307, 308) and cache_control is None):
        return 0
    if refuses:
        return policy.min_ttl
    if origin is None:
        return policy.default_ttl
    return min(max(origin, policy.min_ttl), policy.max_ttl)
