"""What a partner receives: a Standard Webhooks payload and its signature headers."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

from shortener.events import LinkEvent
from shortener.webhooks.messages import WebhookTestEvent

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    """A signing secret in the form the reference libraries expect: whsec_ + base64 key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def payload(event: LinkEvent | WebhookTestEvent) -> str:
    """The body, serialized once: the signature covers exactly these characters."""
    data = event.link.model_dump(mode="json") if isinstance(event, LinkEvent) else event.data
    document = {"type": event.type, "timestamp": event.occurred_at, "data": data}
    return json.dumps(document, separators=(",", ":"))


def signed_headers(
    secrets_now: Sequence[str], delivery_id: str, body: str, signed_at: datetime
) -> dict[str, str]:
    """The request headers, signed now: partners reject timestamps older than a few minutes.

    During a secret rotation `webhook-signature` holds one `v1,...` signature per secret,
    space-separated (Standard Webhooks: a verifier accepts the request if any one matches).
    """
    signed_at = signed_at.astimezone(UTC)
    signatures = [Webhook(secret).sign(delivery_id, signed_at, body) for secret in secrets_now]
    return {
        "content-type": "application/json",
        "user-agent": "Shortener-Webhooks/1",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
