"""What docs/api.md promises an API caller, shared by the unit and the integration tests."""

from __future__ import annotations

# Every field of a link as the API shows it.
LINK_FIELDS = frozenset(
    {
        "code",
        "short_url",
        "url",
        "created_at",
        "updated_at",
        "expires_at",
        "redirect_type",
        "qr",
        "tags",
        "utm",
        "max_clicks",
        "fallback_url",
        "targets",
    }
)
