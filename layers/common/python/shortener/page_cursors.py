"""Opaque page cursors: the base64url of DynamoDB's LastEvaluatedKey, checked on the way back.

A cursor comes back from the caller, so it is only ever read as the key it claims to be when
it is one: exactly the key attributes a page of that query has, each a non-empty string (an
empty key attribute would make DynamoDB answer the caller a 500), and in the caller's own
partition (another owner's or endpoint's cursor is refused, never followed).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from shortener.problems import Problem

MAX_CURSOR_LENGTH = 1024


def encode_cursor(key: Mapping[str, Any]) -> str:
    text = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _is_string_value(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"S"}
        and isinstance(value["S"], str)
        and bool(value["S"])
    )


def decode_cursor_key(
    cursor: str, attributes: frozenset[str], partition: Mapping[str, str]
) -> dict[str, Any]:
    """The start key `cursor` stands for: exactly `attributes`, with `partition`'s values."""
    invalid = Problem(400, "the cursor is not one this API gave you", slug="invalid-cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise invalid from None
    if (
        not isinstance(key, dict)
        or set(key) != attributes
        or not all(_is_string_value(item) for item in key.values())
        or any(key[name]["S"] != value for name, value in partition.items())
    ):
        raise invalid
    return key
