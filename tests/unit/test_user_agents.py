"""The visitor rules shared by click analytics and usage-limited links."""

import pytest

from shortener.user_agents import is_bot, mobile_platform, visitor

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SLACK_PREVIEW = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


@pytest.mark.parametrize("user_agent", [GOOGLEBOT, SLACK_PREVIEW, "curl/8.5.0", "", None])
def test_bots_and_preview_fetchers_are_bots(user_agent):
    assert is_bot(user_agent)
    assert visitor(user_agent).device == "bot"


def test_head_is_a_bot_even_from_a_browser():
    assert is_bot(FIREFOX_LINUX, "HEAD")
    assert not is_bot(FIREFOX_LINUX, "GET")


@pytest.mark.parametrize(
    ("user_agent", "device", "browser", "os"),
    [
        (IPHONE, "mobile", "Mobile Safari", "iOS"),
        (PIXEL, "mobile", "Chrome Mobile", "Android"),
        (ANDROID_TABLET, "tablet", "Chrome", "Android"),
        (FIREFOX_LINUX, "desktop", "Firefox", "Linux"),
    ],
)
def test_people_by_device_browser_and_os(user_agent, device, browser, os):
    seen = visitor(user_agent)
    assert (seen.is_bot, seen.device, seen.browser, seen.os) == (False, device, browser, os)


def test_mobile_platform_picks_ios_and_android_only():
    assert mobile_platform(IPHONE) == "ios"
    assert mobile_platform(PIXEL) == "android"
    assert mobile_platform(ANDROID_TABLET) == "android"
    assert mobile_platform(FIREFOX_LINUX) is None
    assert mobile_platform(None) is None
