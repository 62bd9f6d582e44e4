"""Who is visiting, from the User-Agent alone: a bot or a person, and on what device.

Click analytics (docs/analytics.md) and usage-limited links share these rules, so that a click
the analytics call a bot never uses up a link's `max_clicks` either:

- a bot is a known bot, crawler or link-preview fetcher by User-Agent, detected by the
  maintained `crawlerdetect` package (the CrawlerDetect pattern list, which includes Slack's,
  WhatsApp's and the other messengers' preview fetchers, and command-line clients such as curl),
  a missing User-Agent, or any `HEAD` request (browsers follow links with `GET`; `HEAD` is what
  link checkers send);
- browser, operating system and device come from the maintained `ua-parser` package (the
  uap-core rules, `ua-parser-builtins`), and the device type (`mobile`, `tablet`, `desktop`,
  `bot`) from its OS and device families.

Both libraries are imported on first use, never at module import: the redirect loads this
module only for links whose rules need it, and its cold start must not pay for them otherwise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawlerdetect import CrawlerDetect

UNKNOWN = "Other"

# uap-core's device families for tablets (its iPad rule says "iPad"; Android tablets have no
# "Mobile" token in their User-Agent, which is how Google tells sites to serve them tablet pages).
_TABLET_DEVICE_FAMILIES = ("ipad", "tablet", "kindle", "nexus 7", "nexus 9", "nexus 10")
_MOBILE_OS_FAMILIES = ("ios", "android", "windows phone", "blackberry os", "firefox os")


@dataclass(frozen=True)
class Visitor:
    """What a click's User-Agent says about its visitor."""

    is_bot: bool
    device: str  # mobile | tablet | desktop | bot
    browser: str
    os: str


@functools.cache
def _crawler_detect() -> CrawlerDetect:
    from crawlerdetect import CrawlerDetect

    return CrawlerDetect()


def is_bot(user_agent: str | None, method: str = "GET") -> bool:
    """A request no person made: a HEAD, no User-Agent, or a known bot's."""
    if method.upper() == "HEAD" or not user_agent or not user_agent.strip():
        return True
    return bool(_crawler_detect().isCrawler(user_agent))


@functools.lru_cache(maxsize=4096)
def visitor(user_agent: str | None, method: str = "GET") -> Visitor:
    """Classify one request; cached, since a batch of clicks repeats a few User-Agents."""
    from ua_parser import parse

    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else UNKNOWN
    os_family = result.os.family if result.os else UNKNOWN
    device_family = result.device.family if result.device else UNKNOWN
    bot = is_bot(user_agent, method)
    return Visitor(
        is_bot=bot,
        device="bot" if bot else _device_type(user_agent or "", os_family, device_family),
        browser=browser,
        os=os_family,
    )


def _device_type(user_agent: str, os_family: str, device_family: str) -> str:
    device = device_family.lower()
    if any(name in device for name in _TABLET_DEVICE_FAMILIES):
        return "tablet"
    os_name = os_family.lower()
    if os_name == "android" and "mobile" not in user_agent.lower():
        return "tablet"
    if os_name in _MOBILE_OS_FAMILIES:
        return "mobile"
    return "desktop"


def mobile_platform(user_agent: str | None) -> str | None:
    """`ios` or `android` for a phone's or tablet's browser, else None: cheap, no parser.

    Device targeting only needs the platform, so it reads the tokens every iOS and Android
    browser sends (`iPhone`/`iPad`/`iPod`, `Android`) instead of loading the full rules. (iPadOS
    Safari asks for desktop pages by default and sends a Mac User-Agent: it gets the default.)
    """
    if not user_agent:
        return None
    if any(token in user_agent for token in ("iPhone", "iPad", "iPod")):
        return "ios"
    if "Android" in user_agent:
        return "android"
    return None
