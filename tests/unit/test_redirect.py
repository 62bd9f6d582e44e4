"""GET /{code}: where a short link sends a browser, and what the CDN may cache."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from functions.redirect.handler import handler
from shortener import user_agents
from shortener.clock import now_iso, to_iso, utcnow
from shortener.models import LINK_SK, LinkModel
from tests.unit.conftest import (
    LINKS_TABLE,
    ApiAnswer,
    ApiCall,
    AwsResources,
    answer_from,
    api_event,
    assert_problem,
    new_lambda_context,
)

TARGET = "https://example.com/landing?utm=spring"


def follow(code: str) -> ApiAnswer:
    """What a browser gets for the short link (the redirect route has no authorizer)."""
    return answer_from(handler(api_event("GET", f"/{code}", owner=None), new_lambda_context()))


def shared_cache_seconds(answer: ApiAnswer) -> int:
    cache_control = answer.headers["cache-control"]
    assert "max-age=0" in cache_control, "browsers must ask again: links change"
    match = re.search(r"s-maxage=(\d+)", cache_control)
    assert match, cache_control
    return int(match.group(1))


def test_a_link_redirects_with_302_to_its_url(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    answer = follow(code)

    assert answer.status == 302
    assert answer.headers["location"] == TARGET
    assert shared_cache_seconds(answer) == 60


@pytest.mark.parametrize("redirect_type", [301, 302, 307, 308])
def test_a_link_redirects_with_its_redirect_type(api: ApiCall, redirect_type: int) -> None:
    body = {"url": TARGET, "redirect_type": redirect_type}
    code = api("POST", "/links", body=body).json()["code"]

    assert follow(code).status == redirect_type


def test_an_unknown_code_is_a_404_problem_cached_only_briefly(aws: AwsResources) -> None:
    answer = follow("Unknown")

    assert_problem(answer, 404)
    assert shared_cache_seconds(answer) <= 10


@pytest.mark.parametrize("code", ["x" * 2000, "no spaces", ""])
def test_a_code_that_cannot_exist_is_404(aws: AwsResources, code: str) -> None:
    assert_problem(follow(code), 404)


def test_an_expired_link_is_a_410_problem(aws: AwsResources) -> None:
    yesterday = to_iso(utcnow() - timedelta(days=1))
    LinkModel(
        "expired",
        LINK_SK,
        code="expired",
        owner="alice",
        url=TARGET,
        created_at=now_iso(),
        updated_at=now_iso(),
        expires_at=yesterday,
    ).save()

    answer = follow("expired")

    assert_problem(answer, 410)
    assert shared_cache_seconds(answer) <= 10


def test_the_cdn_never_keeps_a_redirect_past_the_links_expiry(api: ApiCall) -> None:
    soon = utcnow() + timedelta(seconds=20)
    body = {"url": TARGET, "expires_at": soon.isoformat()}
    code = api("POST", "/links", body=body).json()["code"]

    answer = follow(code)

    assert answer.status == 302
    assert shared_cache_seconds(answer) <= 20


def test_a_patched_link_redirects_to_its_new_url(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    api("PATCH", f"/links/{code}", body={"url": "https://example.org/moved"})

    assert follow(code).headers["location"] == "https://example.org/moved"


def test_a_deleted_link_stops_redirecting(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    api("DELETE", f"/links/{code}")

    assert_problem(follow(code), 404)


def test_when_the_table_cannot_be_read_the_answer_is_a_503_nobody_caches(
    aws: AwsResources,
) -> None:
    aws.dynamodb.delete_table(TableName=LINKS_TABLE)

    answer = follow("abc1234")

    assert_problem(answer, 503)
    assert answer.headers["cache-control"] == "no-store"


# --------------------------------------------------------------------------- link features

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
TARGETS = {"ios": "https://apps.apple.com/app/id1", "android": "https://play.google.com/x"}


def visit(code: str, user_agent: str = DESKTOP, method: str = "GET", **headers: str) -> ApiAnswer:
    event = api_event(method, f"/{code}", owner=None, headers={"User-Agent": user_agent, **headers})
    return answer_from(handler(event, new_lambda_context()))


def store_link(code: str, url: str = TARGET, **features: Any) -> None:
    """A link item as the API writes it (or as no validation would let it: see the tests)."""
    LinkModel(
        code,
        LINK_SK,
        code=code,
        owner="alice",
        url=url,
        created_at=now_iso(),
        updated_at=now_iso(),
        **features,
    ).save()


def test_utm_parameters_follow_the_targets_own_query(api: ApiCall) -> None:
    body = {"url": TARGET, "utm": {"source": "news letter", "medium": "email", "term": "a&b=c"}}
    code = api("POST", "/links", body=body).json()["code"]

    location = visit(code).headers["location"]

    assert location == (
        "https://example.com/landing?utm=spring"
        "&utm_source=news%20letter&utm_medium=email&utm_term=a%26b%3Dc"
    )


def test_a_utm_parameter_the_target_already_has_stays_as_the_target_has_it(api: ApiCall) -> None:
    url = "https://example.com/p?utm_source=partner&x=1#section"
    body = {"url": url, "utm": {"source": "ours", "campaign": "spring"}}
    code = api("POST", "/links", body=body).json()["code"]

    assert visit(code).headers["location"] == (
        "https://example.com/p?utm_source=partner&x=1&utm_campaign=spring#section"
    )


@pytest.mark.parametrize(
    "value", ["a\r\nSet-Cookie: stolen=1", "caf\u00e9 \u2603", "\x00\x7f<script>", "%0d%0a"]
)
def test_no_utm_value_can_inject_a_header_or_break_the_location(
    aws: AwsResources, value: str
) -> None:
    store_link("inject1", utm={"source": value})

    location = visit("inject1").headers["location"]

    assert re.fullmatch(r"[\x21-\x7e]+", location), location
    assert location.startswith("https://example.com/landing?utm=spring&utm_source=")


def test_a_stored_target_with_control_characters_still_gives_a_safe_location(
    aws: AwsResources,
) -> None:
    store_link("unsafe1", url="https://example.com/a\r\nSet-Cookie: x=1")

    location = visit("unsafe1").headers["location"]

    assert location == "https://example.com/a%0D%0ASet-Cookie:%20x=1"


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [(IPHONE, TARGETS["ios"]), (ANDROID, TARGETS["android"]), (DESKTOP, TARGET)],
)
def test_targets_are_chosen_by_the_user_agent_and_vary_by_it(
    api: ApiCall, user_agent: str, expected: str
) -> None:
    code = api("POST", "/links", body={"url": TARGET, "targets": TARGETS}).json()["code"]

    answer = visit(code, user_agent)

    assert answer.headers["location"] == expected
    assert answer.headers["vary"] == "User-Agent"
    assert shared_cache_seconds(answer) == 60


def test_cloudfronts_device_headers_win_over_the_user_agent(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET, "targets": TARGETS}).json()["code"]
    # The CDN forwards the viewer's User-Agent and its own verdict, which its cache key holds.
    headers = {"CloudFront-Is-IOS-Viewer": "false", "CloudFront-Is-Android-Viewer": "true"}

    assert visit(code, IPHONE, **headers).headers["location"] == TARGETS["android"]
    neither = {"CloudFront-Is-IOS-Viewer": "false", "CloudFront-Is-Android-Viewer": "false"}
    assert visit(code, IPHONE, **neither).headers["location"] == TARGET


def test_a_platform_without_a_target_gets_the_url_with_its_utm(api: ApiCall) -> None:
    body = {"url": TARGET, "targets": {"ios": TARGETS["ios"]}, "utm": {"source": "qr"}}
    code = api("POST", "/links", body=body).json()["code"]

    assert visit(code, ANDROID).headers["location"] == TARGET + "&utm_source=qr"
    assert visit(code, IPHONE).headers["location"] == TARGETS["ios"] + "?utm_source=qr"


def test_a_plain_link_carries_no_vary(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET}).json()["code"]

    assert "vary" not in visit(code, IPHONE).headers


def test_max_clicks_redirects_that_many_human_clicks_then_410_never_cached(
    api: ApiCall,
) -> None:
    code = api("POST", "/links", body={"url": TARGET, "max_clicks": 3}).json()["code"]

    answers = [visit(code, agent) for agent in (DESKTOP, IPHONE, ANDROID)]
    over = visit(code)

    assert [answer.status for answer in answers] == [302, 302, 302]
    assert all(answer.headers["cache-control"] == "private, no-store" for answer in answers)
    assert_problem(over, 410)
    assert over.headers["cache-control"] == "private, no-store"
    assert api("GET", f"/links/{code}").json()["clicks_remaining"] == 0


def test_bots_and_head_requests_use_no_clicks(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET, "max_clicks": 1}).json()["code"]

    bots = [visit(code, GOOGLEBOT), visit(code, SLACK), visit(code, method="HEAD"), visit(code, "")]

    assert [answer.status for answer in bots] == [302, 302, 302, 302]
    assert api("GET", f"/links/{code}").json()["clicks_remaining"] == 1
    assert visit(code).status == 302
    assert visit(code).status == 410
    # An exhausted link answers bots as it answers people, without counting.
    assert visit(code, GOOGLEBOT).status == 410


def test_an_exhausted_link_with_a_fallback_redirects_there_with_302(api: ApiCall) -> None:
    body = {"url": TARGET, "max_clicks": 1, "fallback_url": "https://example.com/sold-out"}
    code = api("POST", "/links", body={**body, "redirect_type": 301}).json()["code"]

    first, second = visit(code), visit(code)

    assert (first.status, first.headers["location"]) == (301, TARGET)
    assert (second.status, second.headers["location"]) == (302, "https://example.com/sold-out")
    assert second.headers["cache-control"] == "private, no-store"


def test_an_expired_link_with_a_fallback_redirects_there_briefly_cached(
    aws: AwsResources,
) -> None:
    store_link(
        "expired2",
        expires_at=to_iso(utcnow() - timedelta(days=1)),
        fallback_url="https://example.com/over",
    )

    answer = visit("expired2")

    assert (answer.status, answer.headers["location"]) == (302, "https://example.com/over")
    assert shared_cache_seconds(answer) <= 10


def test_the_count_never_passes_the_limit(api: ApiCall) -> None:
    code = api("POST", "/links", body={"url": TARGET, "max_clicks": 5}).json()["code"]

    statuses = [visit(code).status for _ in range(8)]

    assert statuses.count(302) == 5
    assert statuses.count(410) == 3


def test_only_usage_limited_links_ask_the_bot_rules(
    api: ApiCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str | None] = []
    monkeypatch.setattr(user_agents, "is_bot", lambda agent, method="GET": asked.append(agent))
    plain = api("POST", "/links", body={"url": TARGET, "utm": {"source": "x"}}).json()["code"]
    limited = api("POST", "/links", body={"url": TARGET, "max_clicks": 9}).json()["code"]

    visit(plain, GOOGLEBOT)
    assert asked == []
    visit(limited, GOOGLEBOT)
    assert asked == [GOOGLEBOT]
