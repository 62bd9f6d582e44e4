"""The link rules: who may do what to which link, and what gets written.

Routes parse HTTP and call one function here; `store` owns DynamoDB. A POST with an
Idempotency-Key runs through Powertools idempotency keyed on (owner, key), with the body as the
payload to validate, so a retry returns the first response and a different body is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener import effects, settings
from shortener.clock import now_iso, parse_iso, to_iso
from shortener.links import codes, store
from shortener.links.cursor import decode_cursor, encode_cursor
from shortener.links.schemas import (
    CreateLinkRequest,
    EffectStatus,
    Link,
    LinkPage,
    LinkWithEffects,
    UpdateLinkRequest,
)
from shortener.links.validation import ensure_not_self_referencing
from shortener.models import LINK_SK, EffectStatusModel, LinkModel
from shortener.problems import Problem, not_found
from shortener.qr_status import ready_images

QR_EFFECT = "qr"
CODE_ATTEMPTS = 5

logger = Logger(child=True)
metrics = Metrics()


def to_link(link: LinkModel, qr: EffectStatusModel | None, short_base_url: str) -> Link:
    return Link.model_validate(
        {
            "code": link.code,
            "short_url": f"{short_base_url}/{link.code}",
            "url": link.url,
            "created_at": link.created_at,
            "updated_at": link.updated_at,
            "expires_at": link.expires_at,
            "redirect_type": int(link.redirect_type),
            "qr": {
                "status": "ready" if ready_images(qr, link.created_at) else "pending",
                "href": f"/links/{link.code}/qr",
            },
        }
    )


def _insert_link(command: dict[str, Any]) -> dict[str, Any]:
    """Write the link with a conditional put; the answer is JSON so idempotency can store it."""
    request = command["request"]
    now = now_iso()
    expires_at = request.get("expires_at")
    fields: dict[str, Any] = {
        "owner": command["owner"],
        "url": request["url"],
        "created_at": now,
        "updated_at": now,
        "expires_at": to_iso(parse_iso(expires_at)) if expires_at else None,
        "redirect_type": request["redirect_type"],
    }
    alias = request.get("alias")
    if alias:
        link = LinkModel(alias, LINK_SK, code=alias, **fields)
        if not store.insert(link):
            raise Problem(409, f"the alias '{alias}' is taken", slug="alias-taken")
    else:
        for _ in range(CODE_ATTEMPTS):
            code = codes.new_code()
            link = LinkModel(code, LINK_SK, code=code, **fields)
            if store.insert(link):
                break
            logger.warning("generated code collided, drawing another", extra={"code": code})
        else:
            raise Problem(503, "no free code was found; please retry", slug="code-space-busy")
    metrics.add_metric(name="LinkCreated", unit=MetricUnit.Count, value=1)
    return to_link(link, None, settings.short_base_url()).model_dump(mode="json")


def create_link(
    owner: str,
    request: CreateLinkRequest,
    *,
    own_origins: Iterable[str],
    idempotency_key: str | None = None,
    lambda_context: LambdaContext | None = None,
) -> Link:
    ensure_not_self_referencing(request.url, own_origins)
    command = {"owner": owner, "request": request.model_dump(mode="json")}
    if idempotency_key is None:
        return Link.model_validate(_insert_link(command))
    # Loaded on first use, so that requests without the header never pay for the utility.
    from shortener.links import idempotent_create

    created = idempotent_create.run_once(
        _insert_link, {**command, "idempotency_key": idempotency_key}, lambda_context
    )
    return Link.model_validate(created)


def _owned_or_404(owner: str, code: str) -> LinkModel:
    link = store.find_owned(code, owner)
    if link is None:
        raise not_found("the link")
    return link


def get_link(owner: str, code: str) -> LinkWithEffects:
    link = _owned_or_404(owner, code)
    view = to_link(link, effects.current(code, QR_EFFECT), settings.short_base_url())
    return LinkWithEffects(
        **view.model_dump(),
        effects={
            name: EffectStatus.model_validate(status)
            for name, status in effects.effects_for(code).items()
        },
    )


def list_links(owner: str, limit: int, cursor: str | None) -> LinkPage:
    start_after = decode_cursor(cursor, owner) if cursor else None
    links, last_key = store.page_of_owner(owner, limit, start_after)
    qr_statuses = store.effect_statuses((link.code for link in links), QR_EFFECT)
    base = settings.short_base_url()
    return LinkPage(
        items=[to_link(link, qr_statuses.get(link.code), base) for link in links],
        next_cursor=encode_cursor(last_key) if last_key else None,
    )


def _changed_fields(link: LinkModel, request: UpdateLinkRequest) -> dict[str, Any]:
    given = request.model_fields_set
    changes: dict[str, Any] = {}
    if "url" in given and request.url != link.url:
        changes["url"] = request.url
    if "expires_at" in given:
        expires_at = to_iso(request.expires_at) if request.expires_at else None
        if expires_at != link.expires_at:
            changes["expires_at"] = expires_at
    if "redirect_type" in given and request.redirect_type != link.redirect_type:
        changes["redirect_type"] = request.redirect_type
    return changes


def update_link(
    owner: str, code: str, request: UpdateLinkRequest, *, own_origins: Iterable[str]
) -> Link:
    link = _owned_or_404(owner, code)
    if request.url is not None:
        ensure_not_self_referencing(request.url, own_origins)
    changes = _changed_fields(link, request)
    # No change, no write: a write would stream an update event that tells nobody anything.
    if changes:
        changes["updated_at"] = now_iso()
        if not store.save_changes(link, changes):
            raise not_found("the link")
        metrics.add_metric(name="LinkUpdated", unit=MetricUnit.Count, value=1)
    return to_link(link, effects.current(code, QR_EFFECT), settings.short_base_url())


def delete_link(owner: str, code: str) -> None:
    if not store.delete_owned(code, owner):
        raise not_found("the link")
    metrics.add_metric(name="LinkDeleted", unit=MetricUnit.Count, value=1)
