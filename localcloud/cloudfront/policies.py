"""Cache and origin request policies: what goes into the cache key, what reaches the origin,
and the TTL bounds, from the template's `AWS::CloudFront::CachePolicy` and
`OriginRequestPolicy` resources or from CloudFront's managed policies (known by their ids).

- https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html
- https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
- https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ONE_DAY = 86_400
ONE_YEAR = 31_536_000


@dataclass(frozen=True)
class Selection:
    """Which headers, cookies or query strings a policy takes: CloudFront's behaviours `none`,
    `whitelist`, `allExcept`, `all`, `allViewer`, `allViewerAndWhitelistCloudFront`."""

    behavior: str = "none"
    names: frozenset[str] = frozenset()

    def takes(self, name: str) -> bool:
        if self.behavior == "none":
            return False
        if self.behavior == "whitelist":
            return name in self.names
        if self.behavior == "allExcept":
            return name not in self.names
        return True  # all, allViewer, allViewerAndWhitelistCloudFront


NOTHING = Selection()


@dataclass(frozen=True)
class CachePolicy:
    name: str
    min_ttl: int
    default_ttl: int
    max_ttl: int
    headers: Selection = NOTHING
    cookies: Selection = NOTHING
    query_strings: Selection = NOTHING


@dataclass(frozen=True)
class OriginRequestPolicy:
    name: str
    headers: Selection = NOTHING
    cookies: Selection = NOTHING
    query_strings: Selection = NOTHING


_ALL = Selection("all")
MANAGED_CACHE_POLICIES = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": CachePolicy("CachingOptimized", 1, ONE_DAY, ONE_YEAR),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": CachePolicy(
        "CachingOptimizedForUncompressedObjects", 1, ONE_DAY, ONE_YEAR
    ),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": CachePolicy("CachingDisabled", 0, 0, 0),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": CachePolicy(
        "UseOriginCacheControlHeaders",
        0,
        0,
        ONE_YEAR,
        headers=Selection(
            "whitelist",
            frozenset({"host", "origin", "x-http-method-override", "x-http-method"}),
        ),
        cookies=_ALL,
    ),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": CachePolicy(
        "UseOriginCacheControlHeaders-QueryStrings",
        0,
        0,
        ONE_YEAR,
        headers=Selection(
            "whitelist",
            frozenset({"host", "origin", "x-http-method-override", "x-http-method"}),
        ),
        cookies=_ALL,
        query_strings=_ALL,
    ),
}
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": OriginRequestPolicy(
        "AllViewer", Selection("allViewer"), _ALL, _ALL
    ),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": OriginRequestPolicy(
        "AllViewerExceptHostHeader", Selection("allExcept", frozenset({"host"})), _ALL, _ALL
    ),
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": OriginRequestPolicy(
        "AllViewerAndCloudFrontHeaders-2022-06", Selection("allViewer"), _ALL, _ALL
    ),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": OriginRequestPolicy(
        "CORS-S3Origin",
        Selection(
            "whitelist",
            frozenset(
                {"origin", "access-control-request-headers", "access-control-request-method"}
            ),
        ),
    ),
    "59781a5b-3903-41f3-afcb-af62929ccde1": OriginRequestPolicy(
        "CORS-CustomOrigin", Selection("whitelist", frozenset({"origin"}))
    ),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": OriginRequestPolicy(
        "UserAgentRefererHeaders",
        Selection("whitelist", frozenset({"user-agent", "referer"})),
        query_strings=_ALL,
    ),
}


def _selection(config: Mapping[str, Any] | None, behavior_key: str, items_key: str) -> Selection:
    if not config:
        return NOTHING
    names = config.get(items_key) or {}
    items = names.get("Items", []) if isinstance(names, Mapping) else names
    lowered = behavior_key.startswith("Header")  # header names are case-insensitive
    return Selection(
        str(config.get(behavior_key, "none")),
        frozenset(str(n).lower() if lowered else str(n) for n in items),
    )


def cache_policy(properties: Mapping[str, Any]) -> CachePolicy:
    """A cache policy from an `AWS::CloudFront::CachePolicy`'s resolved properties."""
    config = properties["CachePolicyConfig"]
    key = config.get("ParametersInCacheKeyAndForwardedToOrigin", {})
    return CachePolicy(
        name=str(config.get("Name", "")),
        min_ttl=int(config.get("MinTTL", 0)),
        default_ttl=int(config.get("DefaultTTL", ONE_DAY)),
        max_ttl=int(config.get("MaxTTL", ONE_YEAR)),
        headers=_selection(key.get("HeadersConfig"), "HeaderBehavior", "Headers"),
        cookies=_selection(key.get("CookiesConfig"), "CookieBehavior", "Cookies"),
        query_strings=_selection(
            key.get("QueryStringsConfig"), "QueryStringBehavior", "QueryStrings"
        ),
    )


def origin_request_policy(properties: Mapping[str, Any]) -> OriginRequestPolicy:
    config = properties["OriginRequestPolicyConfig"]
    return OriginRequestPolicy(
        name=str(config.get("Name", "")),
        headers=_selection(config.get("HeadersConfig"), "HeaderBehavior", "Headers"),
        cookies=_selection(config.get("CookiesConfig"), "CookieBehavior", "Cookies"),
        query_strings=_selection(
            config.get("QueryStringsConfig"), "QueryStringBehavior", "QueryStrings"
        ),
    )


def legacy_cache_settings(behavior: Mapping[str, Any]) -> CachePolicy:
    """A behaviour without a cache policy: its MinTTL/DefaultTTL/MaxTTL and ForwardedValues."""
    forwarded = behavior.get("ForwardedValues", {})
    header_names = [str(h).lower() for h in forwarded.get("Headers", [])]
    if header_names == ["*"]:
        headers = Selection("all")
    else:
        headers = Selection("whitelist", frozenset(header_names)) if header_names else NOTHING
    cookies = forwarded.get("Cookies", {})
    cookie_mode = {"none": "none", "all": "all", "whitelist": "whitelist"}.get(
        str(cookies.get("Forward", "none")), "none"
    )
    query_keys = forwarded.get("QueryStringCacheKeys", [])
    query = (
        Selection("whitelist" if query_keys else "all", frozenset(query_keys))
        if str(forwarded.get("QueryString", False)).lower() == "true"
        else NOTHING
    )
    return CachePolicy(
        name="(legacy cache settings)",
        min_ttl=int(behavior.get("MinTTL", 0)),
        default_ttl=int(behavior.get("DefaultTTL", ONE_DAY)),
        max_ttl=int(behavior.get("MaxTTL", ONE_YEAR)),
        headers=headers,
        cookies=Selection(cookie_mode, frozenset(cookies.get("WhitelistedNames", []))),
        query_strings=query,
    )
