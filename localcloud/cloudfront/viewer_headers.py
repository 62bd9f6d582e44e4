"""The headers CloudFront adds about the viewer, when a behaviour's cache policy or origin
request policy names them: the device-type headers, read from the viewer's User-Agent.

CloudFront sets `CloudFront-Is-Desktop-Viewer`, `-Mobile-`, `-SmartTV-`, `-Tablet-`, `-IOS-`
and `-Android-Viewer` to `true` or `false` from the User-Agent, only for a behaviour whose
policies include them (in a cache policy they are part of the cache key, so each device type
gets its own cached answer). A viewer cannot set them itself: CloudFront's value replaces any
the request carries.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html#cloudfront-headers-device-type
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-the-cache-key.html

CloudFront classifies by its own User-Agent database; the local edge reads the tokens every
iOS, Android, tablet and TV browser sends, which agrees with it on the browsers people use.
"""

from __future__ import annotations

from collections.abc import Callable

from localcloud.cloudfront.distribution import Behavior
from localcloud.cloudfront.messages import Request

_TV_TOKENS = ("smart-tv", "smarttv", "googletv", "appletv", "hbbtv", "roku", "crkey", "tizen")


def _is_ios(agent: str) -> bool:
    return any(token in agent for token in ("iphone", "ipad", "ipod"))


def _is_android(agent: str) -> bool:
    return "android" in agent


def _is_smart_tv(agent: str) -> bool:
    return any(token in agent for token in _TV_TOKENS)


def _is_tablet(agent: str) -> bool:
    # Android tablets send no "Mobile" token (Google's advice to tablet browsers).
    return "ipad" in agent or "tablet" in agent or (_is_android(agent) and "mobile" not in agent)


def _is_mobile(agent: str) -> bool:
    if _is_tablet(agent) or _is_smart_tv(agent):
        return False
    return _is_ios(agent) or _is_android(agent) or "mobile" in agent


def _is_desktop(agent: str) -> bool:
    return not (_is_mobile(agent) or _is_tablet(agent) or _is_smart_tv(agent))


DEVICE_HEADERS: dict[str, Callable[[str], bool]] = {
    "cloudfront-is-desktop-viewer": _is_desktop,
    "cloudfront-is-mobile-viewer": _is_mobile,
    "cloudfront-is-smarttv-viewer": _is_smart_tv,
    "cloudfront-is-tablet-viewer": _is_tablet,
    "cloudfront-is-ios-viewer": _is_ios,
    "cloudfront-is-android-viewer": _is_android,
}
_CANONICAL = {
    "cloudfront-is-desktop-viewer": "CloudFront-Is-Desktop-Viewer",
    "cloudfront-is-mobile-viewer": "CloudFront-Is-Mobile-Viewer",
    "cloudfront-is-smarttv-viewer": "CloudFront-Is-SmartTV-Viewer",
    "cloudfront-is-tablet-viewer": "CloudFront-Is-Tablet-Viewer",
    "cloudfront-is-ios-viewer": "CloudFront-Is-IOS-Viewer",
    "cloudfront-is-android-viewer": "CloudFront-Is-Android-Viewer",
}


def _named(behavior: Behavior, header: str) -> bool:
    selections = [behavior.cache_policy.headers]
    if behavior.origin_request_policy is not None:
        selections.append(behavior.origin_request_policy.headers)
    # Only a policy that names the header adds it; "all viewer headers" are the viewer's own.
    return any(s.behavior in ("whitelist", "allViewerAndWhitelistCloudFront") and s.takes(header)
               for s in selections)  # fmt: skip


def names_device_headers(behavior: Behavior) -> bool:
    """Whether the behaviour's policies make the edge add any device header."""
    return any(_named(behavior, header) for header in DEVICE_HEADERS)


def with_viewer_headers(request: Request, behavior: Behavior) -> Request:
    """The request as the behaviour's policies see it: the device headers they name, set by
    the edge (any the viewer sent are dropped)."""
    wanted = [header for header in DEVICE_HEADERS if _named(behavior, header)]
    spoofed = set(DEVICE_HEADERS)
    headers = [(name, value) for name, value in request.headers if name.lower() not in spoofed]
    if not wanted and len(headers) == len(request.headers):
        return request
    agent = (request.header("User-Agent") or "").lower()
    headers += [
        (_CANONICAL[header], "true" if DEVICE_HEADERS[header](agent) else "false")
        for header in wanted
    ]
    return Request(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=headers,
        body=request.body,
        client_ip=request.client_ip,
    )
