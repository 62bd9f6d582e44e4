"""Path patterns of cache behaviours, and invalidation paths, matched as CloudFront does.

- A behaviour's path pattern: `*` is any run of characters (none included), `?` exactly one,
  case-sensitive, the leading `/` optional, matched against the path without the query string;
  behaviours are tried in their order in the distribution, the default (`*`) last.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern
- An invalidation path names one path exactly, or ends in `*` and names every path it
  prefixes (a `*` anywhere else is literal); case-sensitive; a path that names no query string
  purges only the cached answer without one, and every header or cookie variant of it.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _pattern(path_pattern: str) -> re.Pattern[str]:
    pattern = path_pattern if path_pattern.startswith("/") else "/" + path_pattern
    translated = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(translated, re.DOTALL)


def matches_path_pattern(path_pattern: str, path: str) -> bool:
    return _pattern(path_pattern).fullmatch(path) is not None


def matches_invalidation(invalidation_path: str, uri: str) -> bool:
    """Whether `invalidation_path` purges the cached answer for `uri` (path [+ ?query])."""
    if not invalidation_path.startswith("/"):
        invalidation_path = "/" + invalidation_path
    if invalidation_path.endswith("*"):
        return uri.startswith(invalidation_path[:-1])
    return uri == invalidation_path
