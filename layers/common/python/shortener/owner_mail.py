"""Email to an owner through SES: the link confirmation and the disabled-endpoint notice.

The owner's address is the one on their newest unrevoked API key that has one; an owner
without any gets no email, and the effect says "skipped" rather than failing. Each message is
a MIME multipart/alternative (text and HTML) sent with SES v2 as raw content, so that both
parts reach the recipient exactly as written (and stay visible to a local SES).
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from shortener import settings
from shortener.aws_clients import client
from shortener.models import ApiKeyModel

NO_ADDRESS = {"state": "skipped", "reason": "the owner has no email address"}


def owner_email(owner: str) -> str | None:
    """The address on the owner's newest unrevoked key that has one."""
    for key in ApiKeyModel.by_owner.query(owner, scan_index_forward=False):
        if key.revoked_at is None and key.email:
            return str(key.email)
    return None


def send_to_owner(owner: str, message_for: Callable[[str, str], EmailMessage]) -> dict[str, Any]:
    """Send `message_for(sender, recipient)`: `{"message_id"}`, or skipped without an address."""
    recipient = owner_email(owner)
    if recipient is None:
        return dict(NO_ADDRESS)
    sender = settings.email_sender()
    response = client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [recipient]},
        Content={"Raw": {"Data": message_for(sender, recipient).as_bytes()}},
    )
    return {"message_id": response["MessageId"]}
