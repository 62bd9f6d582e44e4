"""The link features as a new user meets them on `make run`: bulk create, tags, utm, max_clicks
with bots, device targets through the CDN, and every new field in a link.created webhook."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.integration.helpers import Owner, Partner, describe, wait_until

pytest_plugins = ["tests.integration.fixtures"]

EFFECT_TIMEOUT = 60  # seconds; the pipeline's goal is 2 s at p95
TARGET = "https://example.com/landing?ref=home"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
TARGETS = {"ios": "https://apps.apple.com/app/id1", "android": "https://play.google.com/store/x"}


def follow(short_url: str, user_agent: str = DESKTOP, method: str = "GET") -> requests.Response:
    """A click on the short URL, as a browser (or bot) sends it to the CDN."""
    return requests.request(
        method, short_url, headers={"User-Agent": user_agent}, allow_redirects=False, timeout=30
    )


def test_bulk_100_with_3_invalid_gives_97_links_and_3_problems_in_order(owner: Owner) -> None:
    items: list[Any] = [{"url": f"https://example.com/{n}", "tags": ["batch"]} for n in range(100)]
    invalid = {7: {"url": "ftp://example.com/"}, 42: {"url": "https://e.com/", "tags": ["a a"]},
               93: {"url": "https://example.com/", "alias": "links"}}  # fmt: skip
    for n, item in invalid.items():
        items[n] = item

    response = owner.api.post("/links/bulk", json={"items": items})

    assert response.status_code == 200, describe(response)
    results = response.json()["items"]
    assert [n for n, r in enumerate(results) if r["status"] != 201] == sorted(invalid)
    assert all(results[n]["problem"]["status"] == 422 for n in invalid)
    created = [r["link"] for r in results if r["status"] == 201]
    assert [link["url"] for link in created] == [
        f"https://example.com/{n}" for n in range(100) if n not in invalid
    ]
    # Tags filter the list: the 97, newest first, over pages of the index.
    listed: list[str] = []
    cursor = None
    while True:
        params = {"tag": "batch", "limit": "40"} | ({"cursor": cursor} if cursor else {})
        page = owner.api.get("/links", params=params).json()
        listed += [link["code"] for link in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(listed) == sorted(link["code"] for link in created)
    assert owner.api.get("/links", params={"tag": "other"}).json()["items"] == []


def test_tags_filter_the_list_and_follow_a_patch(owner: Owner) -> None:
    spring = owner.api.create_link(TARGET, tags=["spring"])
    owner.api.create_link(TARGET, tags=["autumn"])

    def codes(tag: str) -> list[str]:
        return [
            link["code"] for link in owner.api.get("/links", params={"tag": tag}).json()["items"]
        ]

    assert codes("spring") == [spring["code"]]
    patched = owner.api.patch(f"/links/{spring['code']}", json={"tags": ["summer"]})
    assert patched.status_code == 200, describe(patched)
    assert codes("spring") == []
    assert codes("summer") == [spring["code"]]


def test_a_link_with_utm_redirects_with_the_parameters_appended(owner: Owner) -> None:
    link = owner.api.create_link(TARGET, utm={"source": "newsletter", "campaign": "spring sale"})

    response = follow(link["short_url"])

    assert response.status_code == 302, describe(response)
    assert response.headers["Location"] == (
        TARGET + "&utm_source=newsletter&utm_campaign=spring%20sale"
    )


def test_max_clicks_3_redirects_three_human_clicks_then_410_while_bots_do_not_count(
    owner: Owner,
) -> None:
    link = owner.api.create_link(TARGET, max_clicks=3)
    fallback = owner.api.create_link(
        TARGET, max_clicks=1, fallback_url="https://example.com/sold-out"
    )

    bots = [follow(link["short_url"], GOOGLEBOT), follow(link["short_url"], method="HEAD")]
    humans = [follow(link["short_url"], agent) for agent in (DESKTOP, IPHONE, ANDROID)]
    over = follow(link["short_url"])

    assert [r.status_code for r in bots] == [302, 302]
    assert [r.status_code for r in humans] == [302, 302, 302]
    # Never cached: every click reached the count, at the CDN as at the origin.
    for response in (*bots, *humans, over):
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Cache"] != "Hit from cloudfront"
    assert over.status_code == 410, describe(over)
    assert over.headers["Content-Type"] == "application/problem+json"
    assert owner.api.link(link["code"])["clicks_remaining"] == 0
    # With a fallback_url, an exhausted link redirects there instead.
    assert follow(fallback["short_url"]).status_code == 302
    exhausted = follow(fallback["short_url"])
    assert (exhausted.status_code, exhausted.headers["Location"]) == (
        302,
        "https://example.com/sold-out",
    )


def test_clicks_racing_on_a_limited_link_redirect_exactly_its_max_clicks(owner: Owner) -> None:
    link = owner.api.create_link(TARGET, max_clicks=5)

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: follow(link["short_url"]).status_code, range(12)))

    assert sorted(statuses) == [302] * 5 + [410] * 7


def test_an_iphone_gets_the_ios_target_through_the_cdn_and_devices_never_share_a_cache(
    owner: Owner,
) -> None:
    link = owner.api.create_link(TARGET, targets=TARGETS)

    first_iphone = follow(link["short_url"], IPHONE)
    android = follow(link["short_url"], ANDROID)
    desktop = follow(link["short_url"], DESKTOP)
    second_iphone = follow(link["short_url"], IPHONE)

    assert first_iphone.headers["Location"] == TARGETS["ios"]
    assert android.headers["Location"] == TARGETS["android"]
    assert desktop.headers["Location"] == TARGET
    assert first_iphone.headers["Vary"] == "User-Agent"
    # Cached per device: the second iPhone is a hit, with the iPhone's answer.
    assert second_iphone.headers["X-Cache"] == "Hit from cloudfront"
    assert second_iphone.headers["Location"] == TARGETS["ios"]


def test_each_new_field_is_in_the_link_created_webhook(owner: Owner, partner: Partner) -> None:
    owner.api.subscribe(partner.url, ["link.created"])
    features = {
        "tags": ["launch"],
        "utm": {"source": "partner"},
        "max_clicks": 10,
        "fallback_url": "https://example.com/later",
        "targets": TARGETS,
    }
    link = owner.api.create_link(TARGET, **features)

    delivered = wait_until(
        lambda: [w for w in partner.delivered() if w.code == link["code"]],
        EFFECT_TIMEOUT,
        what="link.created for the link",
    )

    data = delivered[0].payload()["data"]
    assert data["tags"] == ["launch"]
    assert data["utm"] == {"source": "partner"}
    assert data["max_clicks"] == 10
    assert data["fallback_url"] == "https://example.com/later"
    assert data["targets"] == TARGETS
