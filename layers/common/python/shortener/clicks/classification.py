"""Which logged requests are clicks, and what each says: bot or person, device, origin.

A click is a request for a short code (a path `/{code}` outside the reserved paths) that the
redirect answered with a redirect (3xx) or as expired (410). The management API, the
documentation, QR images and unknown codes (404) are not. Who made it comes from
`shortener.user_agents`, the one place of the bot and device rules; the referrer is the host of
`Referer` (`direct` without one) and the source is `qr` when the query carries `qr=1`, the mark
the QR images put on their URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from shortener.clicks.log_records import LogRecord
from shortener.clicks.visitors import VisitorHasher
from shortener.links.codes import is_reserved, is_valid_alias
from shortener.user_agents import visitor

DIRECT = "direct"
UNKNOWN_COUNTRY = "unknown"
QR_SOURCE = "qr"
LINK_SOURCE = "link"
EXPIRED_STATUS = 410
# A breakdown key stays short whatever a viewer sends (DNS names are at most 253 characters).
_MAX_KEY_LENGTH = 253


@dataclass(frozen=True)
class Click:
    """One counted request, reduced to what the counters keep (no address, no User-Agent)."""

    request_id: str
    code: str
    at: datetime
    is_bot: bool
    source: str
    country: str
    device: str
    browser: str
    os: str
    referrer: str
    visitor: str  # a salted hash of the client address and User-Agent (shortener.clicks.visitors)

    @property
    def is_qr_scan(self) -> bool:
        return not self.is_bot and self.source == QR_SOURCE

    def dimensions(self) -> dict[str, str]:
        """The breakdown keys of this click, by `group_by` name."""
        return {
            "country": self.country,
            "device": self.device,
            "browser": self.browser,
            "os": self.os,
            "referrer": self.referrer,
            "source": self.source,
        }


def short_code(record: LogRecord) -> str | None:
    """The code a request asked the redirect for, or None for any other path."""
    if not (300 <= record.status < 400 or record.status == EXPIRED_STATUS):
        return None
    code = record.path.removeprefix("/")
    if "/" in code or not is_valid_alias(code) or is_reserved(code):
        return None
    return code


def classify(record: LogRecord, visitors: VisitorHasher) -> Click | None:
    """The click this record is, or None when it is not one."""
    code = short_code(record)
    if code is None:
        return None
    who = visitor(record.user_agent, record.method)
    return Click(
        request_id=record.request_id,
        code=code,
        at=record.at,
        is_bot=who.is_bot,
        source=QR_SOURCE if _is_qr(record.query) else LINK_SOURCE,
        country=record.country.upper()[:_MAX_KEY_LENGTH] if record.country else UNKNOWN_COUNTRY,
        device=who.device,
        browser=who.browser[:_MAX_KEY_LENGTH],
        os=who.os[:_MAX_KEY_LENGTH],
        referrer=referrer_host(record.referer),
        visitor=visitors.visitor(record.at.date(), record.client_ip, record.user_agent),
    )


def referrer_host(referer: str | None) -> str:
    if not referer:
        return DIRECT
    try:
        host = urlsplit(referer).hostname
    except ValueError:
        host = None
    return (host or DIRECT)[:_MAX_KEY_LENGTH]


def _is_qr(query: str | None) -> bool:
    return bool(query) and "1" in parse_qs(query or "").get("qr", [])
