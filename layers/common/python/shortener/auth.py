"""Who holds an API key: the authorizer's lookup from a Bearer token to an owner."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from shortener.keys import hash_api_key
from shortener.models import ApiKeyModel
from shortener.scopes import ALL_SCOPES

BEARER_SCHEME = "bearer"
# Keys are "shk_" + 43 characters; anything far longer is not worth hashing.
MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class Caller:
    owner: str
    key_id: str
    scopes: tuple[str, ...] = ALL_SCOPES
    # The API Gateway API key value that meters the caller in its usage plan (None: no plan).
    usage_identifier_key: str | None = None


def bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None when there is none."""
    scheme, _, key = (authorization or "").strip().partition(" ")
    key = key.strip()
    if scheme.lower() != BEARER_SCHEME or not key or len(key) > MAX_KEY_LENGTH:
        return None
    return key


@dataclass(frozen=True)
class Refusal:
    """Why a key was refused: `missing` (no Bearer key), `unknown` or `revoked`."""

    reason: str
    key_id: str | None = None  # the public id of a known (revoked) key; never the key itself


def identify(authorization: str | None) -> Caller | Refusal:
    """The owner of a live key, or why there is none."""
    key = bearer_key(authorization)
    if key is None:
        return Refusal("missing")
    try:
        record = ApiKeyModel.get(hash_api_key(key))
    except DoesNotExist:
        return Refusal("unknown")
    if record.revoked_at:
        return Refusal("revoked", record.key_id)
    return Caller(
        owner=record.owner,
        key_id=record.key_id,
        scopes=ALL_SCOPES if record.scopes is None else tuple(record.scopes),
        usage_identifier_key=record.gateway_key_value,
    )
