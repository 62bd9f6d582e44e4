"""Opaque page cursors: the base64url of DynamoDB's LastEvaluatedKey, checked on the way back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from shortener.links.store import LinkKey
from shortener.problems import Problem

# The table's key plus the index's (by_owner: `owner`, by_tag: `tag_key`): exactly what
# DynamoDB hands back.
_TABLE_KEY_ATTRIBUTES = frozenset({"pk", "sk", "created_at"})
MAX_CURSOR_LENGTH = 1024


def encode_cursor(key: LinkKey) -> str:
    text = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _is_string_value(value: Any) -> bool:
    # Non-empty: DynamoDB refuses an empty key attribute, and would answer a 500 for the caller.
    return (
        isinstance(value, dict)
        and set(value) == {"S"}
        and isinstance(value["S"], str)
        and bool(value["S"])
    )


def decode_cursor(cursor: str, owner: str, *, partition: tuple[str, str] | None = None) -> LinkKey:
    """The start key a cursor stands for; it must be one of this owner's pages (of the index
    partition `(attribute, value)`, the by_owner index's `("owner", owner)` unless given)."""
    attribute, value = partition or ("owner", owner)
    invalid = Problem(400, "the cursor is not one this API gave you", slug="invalid-cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise invalid from None
    if (
        not isinstance(key, dict)
        or set(key) != _TABLE_KEY_ATTRIBUTES | {attribute}
        or not all(_is_string_value(item) for item in key.values())
        or key[attribute]["S"] != value
    ):
        raise invalid
    return key
