"""The local edge adds CloudFront's device-type headers that a behaviour's policies name, from
the viewer's User-Agent, before the cache key is made: each device type gets its own cached
answer, the origin sees the edge's verdict, and a viewer cannot set it."""

from __future__ import annotations

import io
import itertools

import pytest

from localcloud.cloudfront.cache import EdgeCache
from localcloud.cloudfront.distribution import Behavior, Distribution, Origin
from localcloud.cloudfront.edge import Edge
from localcloud.cloudfront.messages import Request, Response
from localcloud.cloudfront.policies import CachePolicy, Selection
from localcloud.cloudfront.viewer_headers import with_viewer_headers
from localcloud.logs import LogSink

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1"
IPAD = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1"
PIXEL = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126.0 Mobile Safari/537.36"
ANDROID_TABLET = "Mozilla/5.0 (Linux; Android 14; SM-X710) Chrome/126.0 Safari/537.36"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36"
TV = "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 SamsungBrowser/2.0 TV"
DEVICE_KEY = ("cloudfront-is-ios-viewer", "cloudfront-is-android-viewer")


def behavior(headers: Selection) -> Behavior:
    return Behavior(
        path_pattern="*",
        origin=Origin(id="api", domain_name="api.example"),
        allowed_methods=frozenset({"GET", "HEAD"}),
        cached_methods=frozenset({"GET", "HEAD"}),
        viewer_protocol_policy="allow-all",
        cache_policy=CachePolicy("redirects", 0, 60, 60, headers=headers),
        origin_request_policy=None,
    )


class RecordingOrigin:
    """An origin that answers with a fresh number and remembers what it was sent."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._numbers = itertools.count()

    def fetch(self, origin: Origin, request: Request) -> Response:
        self.requests.append(request)
        body = str(next(self._numbers)).encode()
        return Response(200, [("Cache-Control", "max-age=60")], body)


def edge_with(headers: Selection) -> tuple[Edge, RecordingOrigin]:
    origin = RecordingOrigin()
    distribution = Distribution("Cdn", "E123", "d123.cloudfront.net", (behavior(headers),))
    logs = LogSink(io.StringIO(), echo=False)
    return Edge(distribution, origin, EdgeCache(), logs), origin  # type: ignore[arg-type]


def device_headers(request: Request) -> dict[str, str]:
    return {n.lower(): v for n, v in request.headers if n.lower().startswith("cloudfront-is-")}


@pytest.mark.parametrize(
    ("agent", "ios", "android", "mobile", "tablet", "desktop", "smarttv"),
    [
        (IPHONE, "true", "false", "true", "false", "false", "false"),
        (IPAD, "true", "false", "false", "true", "false", "false"),
        (PIXEL, "false", "true", "true", "false", "false", "false"),
        (ANDROID_TABLET, "false", "true", "false", "true", "false", "false"),
        (DESKTOP, "false", "false", "false", "false", "true", "false"),
        (TV, "false", "false", "false", "false", "false", "true"),
    ],
)
def test_each_named_header_says_what_the_user_agent_is(
    agent: str, ios: str, android: str, mobile: str, tablet: str, desktop: str, smarttv: str
) -> None:
    every = Selection("whitelist", frozenset(f"cloudfront-is-{d}-viewer" for d in (
        "ios", "android", "mobile", "tablet", "desktop", "smarttv")))  # fmt: skip
    request = Request("GET", "/abc", headers=[("User-Agent", agent)])

    seen = device_headers(with_viewer_headers(request, behavior(every)))

    assert seen == {
        "cloudfront-is-ios-viewer": ios,
        "cloudfront-is-android-viewer": android,
        "cloudfront-is-mobile-viewer": mobile,
        "cloudfront-is-tablet-viewer": tablet,
        "cloudfront-is-desktop-viewer": desktop,
        "cloudfront-is-smarttv-viewer": smarttv,
    }


def test_only_the_headers_a_policy_names_are_added_and_a_viewers_own_are_dropped() -> None:
    request = Request(
        "GET", "/abc", headers=[("User-Agent", DESKTOP), ("CloudFront-Is-IOS-Viewer", "true")]
    )

    assert device_headers(with_viewer_headers(request, behavior(Selection()))) == {}
    named = Selection("whitelist", frozenset({"cloudfront-is-ios-viewer"}))
    assert device_headers(with_viewer_headers(request, behavior(named))) == {
        "cloudfront-is-ios-viewer": "false"
    }


def test_device_headers_in_the_cache_key_keep_devices_apart_and_reach_the_origin() -> None:
    edge, origin = edge_with(Selection("whitelist", frozenset(DEVICE_KEY)))

    def body(agent: str) -> bytes:
        return edge.handle(Request("GET", "/abc", headers=[("User-Agent", agent)])).body

    iphone, pixel, desktop = body(IPHONE), body(PIXEL), body(DESKTOP)

    assert len({iphone, pixel, desktop}) == 3
    # Another iPhone (or iPad: also iOS) shares the iPhone's cached answer.
    assert body(IPHONE) == body(IPAD) == iphone
    assert len(origin.requests) == 3
    assert device_headers(origin.requests[0]) == {
        "cloudfront-is-ios-viewer": "true",
        "cloudfront-is-android-viewer": "false",
    }


def test_without_device_headers_in_the_key_every_device_shares_one_answer() -> None:
    edge, origin = edge_with(Selection())

    answers = {edge.handle(Request("GET", "/abc", headers=[("User-Agent", a)])).body
               for a in (IPHONE, PIXEL, DESKTOP)}  # fmt: skip

    assert len(answers) == 1
    assert device_headers(origin.requests[0]) == {}
