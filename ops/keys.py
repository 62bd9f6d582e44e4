"""`ops keys create | list | revoke`: API keys, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import re
from typing import Any

from pynamodb.exceptions import PutError
from rich.text import Text

from ops.context import Context
from ops.errors import OpsError, UsageError
from ops.output import table
from shortener.clock import now_iso
from shortener.keys import hash_api_key, key_id_for, new_api_key
from shortener.models import ApiKeyModel

# Owners end up in keys (`owner#{owner}`, `stats#{owner}`): keep them plain.
_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The authorizer caches a key's verdict; a revocation takes effect within this time.
AUTHORIZER_CACHE_SECONDS = 300


def _public(key: ApiKeyModel) -> dict[str, Any]:
    """Everything about a key that may be printed: never the key, never its hash."""
    return {
        "key_id": key.key_id,
        "owner": key.owner,
        "email": key.email,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def check_key_fields(owner: str, email: str | None) -> None:
    """Refuse an owner or address that cannot go into a key, before anything is written."""
    if not _OWNER.match(owner):
        raise UsageError(f"--owner {owner!r}: use 1 to 128 of A-Z a-z 0-9 . _ @ + -")
    if email is not None and not _EMAIL.match(email):
        raise UsageError(f"--email {email!r} is not an email address")


def issue_key(owner: str, email: str | None) -> tuple[str, ApiKeyModel]:
    """A new key for `owner`, stored as its hash: the key (shown once) and its record.

    The caller has checked the fields (`check_key_fields`) and bound the models to the stack's
    tables (`ctx.stack.bind_tables()`).
    """
    key = new_api_key()
    key_hash = hash_api_key(key)
    record = ApiKeyModel(
        key_hash=key_hash,
        key_id=key_id_for(key_hash),
        owner=owner,
        email=email,
        created_at=now_iso(),
    )
    try:
        record.save(condition=ApiKeyModel.key_hash.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise OpsError(
                "a key with the same hash exists (astronomically unlikely): retry"
            ) from error
        raise
    return key, record


def delete_key(record: ApiKeyModel) -> None:
    """Remove a key for good (a throwaway key leaves nothing behind; revoke keeps a record)."""
    record.delete()


def create(ctx: Context, owner: str, email: str | None) -> int:
    check_key_fields(owner, email)
    ctx.stack.bind_tables()
    key, record = issue_key(owner, email)
    created = {"owner": owner, "key": key, **_public(record)}
    ctx.out.result(
        created,
        lambda: Text.assemble(
            f"API key {record.key_id} for {owner}:\n\n  ",
            (key, "bold"),
            "\n\nIt is shown only now and stored only as a hash: hand it over securely.",
        ),
    )
    return 0


def list_keys(ctx: Context, owner: str | None) -> int:
    ctx.stack.bind_tables()
    found = ApiKeyModel.by_owner.query(owner) if owner else ApiKeyModel.scan()
    keys = sorted((_public(key) for key in found), key=lambda key: key["created_at"])
    ctx.out.result(
        keys,
        lambda: table(
            f"API keys of {owner}" if owner else "API keys",
            ["key id", "owner", "email", "created", "revoked"],
            [[k["key_id"], k["owner"], k["email"], k["created_at"], k["revoked_at"]] for k in keys],
        ),
    )
    return 0


def revoke(ctx: Context, key_id: str) -> int:
    ctx.stack.bind_tables()
    matches = list(ApiKeyModel.by_key_id.query(key_id))
    if not matches:
        raise UsageError(f"unknown key id {key_id!r}; `python -m ops keys list` shows them")
    key = matches[0]
    already = key.revoked_at is not None
    if not already:
        key.update(actions=[ApiKeyModel.revoked_at.set(now_iso())])
    revoked = {**_public(key), "already_revoked": already}
    ctx.out.result(
        revoked,
        lambda: Text(
            f"{key.key_id} of {key.owner} "
            + (f"was already revoked at {key.revoked_at}." if already else "revoked.")
            + f" Requests may pass for up to {AUTHORIZER_CACHE_SECONDS} s while the "
            "authorizer's cached verdict lasts."
        ),
    )
    return 0
