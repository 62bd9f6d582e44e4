"""API keys: made at random, shown once, stored as a SHA-256 hash (they carry 256 bits)."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "shk_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_for(key_hash: str) -> str:
    """The public id of a key, safe to print and to pass to `ops keys revoke`."""
    return "key_" + key_hash[:12]
