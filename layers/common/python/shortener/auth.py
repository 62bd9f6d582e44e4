"""Who holds an API key: the authorizer's lookup from a Bearer token to an owner."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from shortener.keys import hash_api_key
from shortener.models import ApiKeyModel

BEARER_SCHEME = "bearer"
# Keys are "shk_" + 43 characters; anything far longer is not worth hashing.
MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class Caller:
    owner: str
    key_id: str


def bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None when there is none."""
    scheme, _, key = (authorization or "").strip().partition(" ")
    key = key.strip()
    if scheme.lower() != BEARER_SCHEME or not key or len(key) > MAX_KEY_LENGTH:
        return None
    return key


def caller_for(authorization: str | None) -> Caller | None:
    """The owner of a live key; None for a missing, unknown or revoked one."""
    key = bearer_key(authorization)
    if key is None:
        return None
    try:
        record = ApiKeyModel.get(hash_api_key(key))
    except DoesNotExist:
        return None
    if record.revoked_at:
        return None
    return Caller(owner=record.owner, key_id=record.key_id)
