"""Who a visitor is, without keeping who they are: an HMAC of client address and User-Agent.

The key is a salt of the day, itself HMAC(stage secret, UTC date): it changes every day with no
rotation machinery, so a visitor cannot be followed from one day to the next, and it is the
same on every retry or replay of a click (the click's own day, not the day it is counted).
The stage secret lives in Secrets Manager (`VISITOR_SECRET_ARN`); the hash is truncated to 64
bits, plenty to tell a day's visitors of one link apart, and too short to be worth reversing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

HASH_HEX_LENGTH = 16


class VisitorHasher:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._salts: dict[date, bytes] = {}  # a batch spans a day or two

    def daily_salt(self, day: date) -> bytes:
        if day not in self._salts:
            self._salts[day] = hmac.new(
                self._secret, day.isoformat().encode(), hashlib.sha256
            ).digest()
        return self._salts[day]

    def visitor(self, day: date, client_ip: str | None, user_agent: str | None) -> str:
        identity = f"{client_ip or ''}\n{user_agent or ''}".encode()
        digest = hmac.new(self.daily_salt(day), identity, hashlib.sha256).hexdigest()
        return digest[:HASH_HEX_LENGTH]


def stage_secret() -> bytes:
    """The stage's visitor secret from Secrets Manager (cached five minutes)."""
    from aws_lambda_powertools.utilities.parameters import get_secret

    from shortener.settings import env

    return str(get_secret(env("VISITOR_SECRET_ARN"), max_age=300)).encode()
