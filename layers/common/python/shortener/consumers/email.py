"""The confirmation email for a new link, sent through SES to the key owner's address.

Only link.created reaches this consumer. The owner's address is found, and the message sent,
by shortener.owner_mail; an owner without an address makes the effect "skipped". One email
per event: the runner's idempotency on the event id answers a duplicate, a retry or a redrive
from its record instead of sending again. The email confirms a creation that happened, so it
is sent even if the link was deleted meanwhile (events may arrive in any order; this one needs
no other).
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from typing import Any

from shortener.events import LinkEvent
from shortener.owner_mail import send_to_owner

EFFECT = "email"


def qr_url(event: LinkEvent) -> str:
    """The API's QR resource of the link; the API is served under the short links' base URL."""
    base = event.link.short_url.removesuffix(f"/{event.link.code}")
    return f"{base}/links/{event.link.code}/qr"


def confirmation(event: LinkEvent, sender: str, recipient: str) -> EmailMessage:
    link = event.link
    message = EmailMessage()
    message["Subject"] = f"Your short link {link.short_url} is ready"
    message["From"] = sender
    message["To"] = recipient
    # Each URL on a line of its own, so that no mail encoding ever has to break one.
    message.set_content(
        "Your short link is ready:\n"
        f"{link.short_url}\n\n"
        "It redirects to:\n"
        f"{link.url}\n\n"
        "Its QR code (PNG and SVG), with your API key:\n"
        f"{qr_url(event)}\n"
    )
    short_url, target, qr = (html.escape(u) for u in (link.short_url, link.url, qr_url(event)))
    message.add_alternative(
        "<html><body>\n"
        "<p>Your short link is ready:</p>\n"
        f'<p><a href="{short_url}">{short_url}</a></p>\n'
        "<p>It redirects to:</p>\n"
        f"<p>{target}</p>\n"
        "<p>Its QR code (PNG and SVG), with your API key:</p>\n"
        f'<p><a href="{qr}">{qr}</a></p>\n'
        "</body></html>\n",
        subtype="html",
    )
    return message


def send_confirmation(event: LinkEvent) -> dict[str, Any]:
    if event.type != "link.created":  # the rule sends nothing else; a misrouted event mails no one
        return {"state": "skipped", "reason": f"{event.type} needs no email"}
    return send_to_owner(
        event.link.owner, lambda sender, recipient: confirmation(event, sender, recipient)
    )
