"""What a partner receives: a Standard Webhooks payload and its signature headers."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

from shortener.events import LinkEvent

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    """A signing secret in the form the reference libraries expect: whsec_ + base64 key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def payload(event: LinkEvent) -> str:
    """The body, serialized once: the signature covers exactly these characters."""
    document = {
        "type": event.type,
        "timestamp": event.occurred_at,
        "data": event.link.model_dump(mode="json"),
    }
    return json.dumps(document, separators=(",", ":"))


def signed_headers(secret: str, delivery_id: str, body: str, signed_at: datetime) -> dict[str, str]:
    """The request headers, signed now: partners reject timestamps older than a few minutes."""
    signed_at = signed_at.astimezone(UTC)
    return {
        "content-type": "application/json",
        "user-agent": "Shortener-Webhooks/1",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, signed_at, body),
    }
