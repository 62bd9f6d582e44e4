"""Short codes: generated at random, or chosen by the caller as an alias."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7
ALIAS_PATTERN = r"^[A-Za-z0-9_-]{3,64}$"
_ALIAS = re.compile(ALIAS_PATTERN)

# The first path segments the CDN routes away from the redirect (the management API, its
# documentation, the QR images): a code there would be unreachable. Exactly those, no more: the
# stack's template test holds the two lists together.
RESERVED_PATHS = frozenset({"links", "webhooks", "stats", "docs", "openapi.json", "qr"})
# Codes the management API could never address: `/links/bulk` is its own resource, so a link
# called `bulk` could redirect but never be read, changed or deleted.
UNADDRESSABLE_CODES = frozenset({"bulk"})


def is_reserved(code: str) -> bool:
    return code.lower() in RESERVED_PATHS or code.lower() in UNADDRESSABLE_CODES


def is_valid_alias(alias: str) -> bool:
    return _ALIAS.fullmatch(alias) is not None


def new_code() -> str:
    """A fresh code from a cryptographic generator: 62^7 (about 3.5e12) possibilities."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if not is_reserved(code):
            return code
