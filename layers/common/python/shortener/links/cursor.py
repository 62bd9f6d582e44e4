"""Page cursors of the links lists (by owner, by tag): shortener.page_cursors on their index."""

from __future__ import annotations

from typing import cast

from shortener.links.store import LinkKey
from shortener.page_cursors import decode_cursor_key, encode_cursor

__all__ = ["decode_cursor", "encode_cursor"]

# The table's key plus the index's (by_owner: `owner`, by_tag: `tag_key`): exactly what
# DynamoDB hands back.
_TABLE_KEY_ATTRIBUTES = frozenset({"pk", "sk", "created_at"})


def decode_cursor(cursor: str, owner: str, *, partition: tuple[str, str] | None = None) -> LinkKey:
    """The start key a cursor stands for; it must be one of this owner's pages (of the index
    partition `(attribute, value)`, the by_owner index's `("owner", owner)` unless given)."""
    attribute, value = partition or ("owner", owner)
    key = decode_cursor_key(cursor, _TABLE_KEY_ATTRIBUTES | {attribute}, {attribute: value})
    return cast(LinkKey, key)
