"""`ops keys create | list | set-plan | revoke`: API keys, shown once, stored only as a SHA-256
hash, each on a usage plan (its rate, burst and daily quota) with scopes (docs/api.md)."""

from __future__ import annotations

import re
from typing import Any

from pynamodb.exceptions import PutError
from rich.text import Text

from ops.context import Context
from ops.errors import OpsError, UsageError
from ops.output import table
from ops.usage_plans import UsagePlans
from shortener.clock import now_iso
from shortener.keys import hash_api_key, key_id_for, new_api_key
from shortener.models import ApiKeyModel
from shortener.scopes import ALL_SCOPES, UnknownScope, parse_scopes

# Owners end up in keys (`owner#{owner}`, `stats#{owner}`): keep them plain.
_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_PLAN = "free"


def _public(key: ApiKeyModel) -> dict[str, Any]:
    """Everything about a key that may be printed: never the key, its hash or its API Gateway
    key's value."""
    return {
        "key_id": key.key_id,
        "owner": key.owner,
        "email": key.email,
        "plan": key.plan,
        "scopes": list(ALL_SCOPES if key.scopes is None else key.scopes),
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def check_key_fields(owner: str, email: str | None, scopes: str | None = None) -> tuple[str, ...]:
    """Refuse an owner, address or scope that cannot go into a key, before anything is
    written; the scopes, parsed (default: all)."""
    if not _OWNER.match(owner):
        raise UsageError(f"--owner {owner!r}: use 1 to 128 of A-Z a-z 0-9 . _ @ + -")
    if email is not None and not _EMAIL.match(email):
        raise UsageError(f"--email {email!r} is not an email address")
    try:
        return parse_scopes(scopes)
    except UnknownScope as error:
        raise UsageError(f"--scopes: {error}") from None


def issue_key(
    ctx: Context,
    owner: str,
    email: str | None,
    *,
    plan: str = DEFAULT_PLAN,
    scopes: tuple[str, ...] = ALL_SCOPES,
) -> tuple[str, ApiKeyModel]:
    """A new key for `owner` on `plan`: the key (shown once) and its record, stored as its
    hash with the API Gateway key that meters it.

    The caller has checked the fields (`check_key_fields`) and bound the models to the stack's
    tables (`ctx.stack.bind_tables()`).
    """
    plans = UsagePlans(ctx.stack)
    plans.check(plan)  # an unknown plan is a usage error before anything is made
    key = new_api_key()
    key_hash = hash_api_key(key)
    key_id = key_id_for(key_hash)
    gateway_key = plans.create_key(key_id, owner, plan)
    record = ApiKeyModel(
        key_hash=key_hash,
        key_id=key_id,
        owner=owner,
        email=email,
        created_at=now_iso(),
        plan=plan,
        scopes=list(scopes),
        gateway_key_id=gateway_key.id,
        gateway_key_value=gateway_key.value,
    )
    try:
        record.save(condition=ApiKeyModel.key_hash.does_not_exist())
    except PutError as error:
        plans.delete_key(gateway_key.id)
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise OpsError(
                "a key with the same hash exists (astronomically unlikely): retry"
            ) from error
        raise
    return key, record


def delete_key(ctx: Context, record: ApiKeyModel) -> None:
    """Remove a key for good (a throwaway key leaves nothing behind; revoke keeps a record)."""
    if record.gateway_key_id:
        UsagePlans(ctx.stack).delete_key(record.gateway_key_id)
    record.delete()


def create(
    ctx: Context, owner: str, email: str | None, plan: str = DEFAULT_PLAN, scopes: str | None = None
) -> int:
    parsed_scopes = check_key_fields(owner, email, scopes)
    ctx.stack.bind_tables()
    key, record = issue_key(ctx, owner, email, plan=plan, scopes=parsed_scopes)
    created = {"owner": owner, "key": key, **_public(record)}
    ctx.out.result(
        created,
        lambda: Text.assemble(
            f"API key {record.key_id} for {owner} (plan {plan}; {', '.join(parsed_scopes)}):\n\n  ",
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
            ["key id", "owner", "email", "plan", "scopes", "created", "revoked"],
            [
                [
                    k["key_id"],
                    k["owner"],
                    k["email"],
                    k["plan"],
                    "all" if tuple(k["scopes"]) == ALL_SCOPES else ",".join(k["scopes"]),
                    k["created_at"],
                    k["revoked_at"],
                ]
                for k in keys
            ],
        ),
    )
    return 0


def _find(key_id: str) -> ApiKeyModel:
    matches = list(ApiKeyModel.by_key_id.query(key_id))
    if not matches:
        raise UsageError(f"unknown key id {key_id!r}; `python -m ops keys list` shows them")
    return matches[0]


def set_plan(ctx: Context, key_id: str, plan: str) -> int:
    """Move a key to another plan; a key made before plans gets its API Gateway key here."""
    ctx.stack.bind_tables()
    plans = UsagePlans(ctx.stack)
    plans.check(plan)
    key = _find(key_id)
    if key.revoked_at is not None:
        raise UsageError(f"{key_id} is revoked: create a new key instead")
    previous = key.plan
    if key.gateway_key_id is None:
        gateway_key = plans.create_key(key.key_id, key.owner, plan)
        actions = [
            ApiKeyModel.gateway_key_id.set(gateway_key.id),
            ApiKeyModel.gateway_key_value.set(gateway_key.value),
        ]
    else:
        plans.move_key(key.gateway_key_id, previous, plan)
        actions = []
    key.update(actions=[*actions, ApiKeyModel.plan.set(plan)])
    moved = {**_public(key), "previous_plan": previous}
    ctx.out.result(
        moved,
        lambda: Text(f"{key.key_id} of {key.owner} is on plan {plan} (was {previous or 'none'})."),
    )
    return 0


def revoke(ctx: Context, key_id: str) -> int:
    """Revoked at once: the record marked, the API Gateway key disabled, and the stage's cached
    authorizer answers flushed, so the very next request with the key is 401."""
    ctx.stack.bind_tables()
    key = _find(key_id)
    already = key.revoked_at is not None
    if not already:
        key.update(actions=[ApiKeyModel.revoked_at.set(now_iso())])
    plans = UsagePlans(ctx.stack)
    if key.gateway_key_id:
        plans.disable_key(key.gateway_key_id)
    flushed = plans.flush_authorizer_cache()
    revoked = {**_public(key), "already_revoked": already, "authorizer_cache_flushed": flushed}
    ctx.out.result(
        revoked,
        lambda: Text(
            f"{key.key_id} of {key.owner} "
            + (f"was already revoked at {key.revoked_at}." if already else "revoked.")
            + (
                " The stage's authorizer cache is flushed: its next request is refused."
                if flushed
                else " The stack has no API stage to flush."
            )
        ),
    )
    return 0
