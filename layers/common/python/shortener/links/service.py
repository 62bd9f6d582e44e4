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
from shortener.models import LINK_SK, EffectStatusModel, LinkModel, LinkTagModel
from shortener.problems import Problem, not_found
from shortener.qr_status import ready_images

QR_EFFECT = "qr"
CODE_ATTEMPTS = 5
# The optional link features, stored only when given (docs/api.md, "Optional link fields").
OPTIONAL_FIELDS = ("tags", "utm", "max_clicks", "fallback_url", "targets")

logger = Logger(child=True)
metrics = Metrics()


def _plain_map(value: Any) -> dict[str, Any] | None:
    """A stored map attribute (pynamodb's raw MapAttribute) as a dict, None when absent."""
    if value is None:
        return None
    plain = value.as_dict() if hasattr(value, "as_dict") else dict(value)
    return plain or None


def _given(value: Any) -> Any:
    """A request's optional value as stored: an object keeps only the keys it sets; an empty
    list or object is no value."""
    if isinstance(value, dict):
        value = {key: item for key, item in value.items() if item is not None}
    return None if value in ({}, []) else value


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
            "tags": list(link.tags or ()),
            "utm": _plain_map(link.utm),
            "max_clicks": int(link.max_clicks) if link.max_clicks is not None else None,
            "fallback_url": link.fallback_url,
            "targets": _plain_map(link.targets),
        }
    )


def insert_link(command: dict[str, Any]) -> dict[str, Any]:
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
        **{name: _given(request.get(name)) for name in OPTIONAL_FIELDS},
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


def ensure_targets_elsewhere(
    request: CreateLinkRequest | UpdateLinkRequest, own_origins: Iterable[str]
) -> None:
    """Every URL a link may redirect to must lead away from the shortener (see `validation`)."""
    origins = list(own_origins)
    if request.url is not None:
        ensure_not_self_referencing(request.url, origins)
    if request.fallback_url is not None:
        ensure_not_self_referencing(request.fallback_url, origins, pointer="#/fallback_url")
    if request.targets is not None:
        for platform, url in request.targets.model_dump().items():
            if url is not None:
                ensure_not_self_referencing(url, origins, pointer=f"#/targets/{platform}")


def create_command(owner: str, request: CreateLinkRequest) -> dict[str, Any]:
    """What `insert_link` writes for one request: JSON, so idempotency can compare it."""
    return {"owner": owner, "request": request.model_dump(mode="json")}


def create_link(
    owner: str,
    request: CreateLinkRequest,
    *,
    own_origins: Iterable[str],
    idempotency_key: str | None = None,
    lambda_context: LambdaContext | None = None,
) -> Link:
    ensure_targets_elsewhere(request, own_origins)
    command = create_command(owner, request)
    if idempotency_key is None:
        return Link.model_validate(insert_link(command))
    # Loaded on first use, so that requests without the header never pay for the utility.
    from shortener.links import idempotent_create

    created = idempotent_create.run_once(
        insert_link, {**command, "idempotency_key": idempotency_key}, lambda_context
    )
    return Link.model_validate(created)


def _owned_or_404(owner: str, code: str) -> LinkModel:
    link = store.find_owned(code, owner)
    if link is None:
        raise not_found("the link")
    return link


def clicks_remaining(link: LinkModel) -> int | None:
    if link.max_clicks is None:
        return None
    return max(int(link.max_clicks) - int(link.clicks_used or 0), 0)


def get_link(owner: str, code: str) -> LinkWithEffects:
    link = _owned_or_404(owner, code)
    view = to_link(link, effects.current(code, QR_EFFECT), settings.short_base_url())
    return LinkWithEffects(
        **view.model_dump(),
        clicks_remaining=clicks_remaining(link),
        effects={
            name: EffectStatus.model_validate(status)
            for name, status in effects.effects_for(code).items()
        },
    )


def list_links(owner: str, limit: int, cursor: str | None, tag: str | None = None) -> LinkPage:
    """A page of the owner's links, newest first: all of them, or those with `tag`."""
    if tag is None:
        start_after = decode_cursor(cursor, owner) if cursor else None
        links, last_key = store.page_of_owner(owner, limit, start_after)
    else:
        partition = ("tag_key", LinkTagModel.index_key(owner, tag))
        start_after = decode_cursor(cursor, owner, partition=partition) if cursor else None
        links, last_key = store.page_of_tag(owner, tag, limit, start_after)
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
    current = to_link(link, None, "").model_dump(mode="json")
    requested = request.model_dump(mode="json")
    for name in OPTIONAL_FIELDS:
        if name not in given:
            continue
        value = _given(requested[name])
        if value != _given(current[name]):
            changes[name] = value
    if "max_clicks" in changes and changes["max_clicks"] is None and link.clicks_used is not None:
        # No limit, no count; a changed limit keeps the clicks already used against it.
        changes["clicks_used"] = None
    return changes


def update_link(
    owner: str, code: str, request: UpdateLinkRequest, *, own_origins: Iterable[str]
) -> Link:
    link = _owned_or_404(owner, code)
    ensure_targets_elsewhere(request, own_origins)
    changes = _changed_fields(link, request)
    # No change, no write: a write would stream an update event that tells nobody anything.
    if changes:
        changes["updated_at"] = now_iso()
        if not store.save_changes(link, changes):
            raise not_found("the link")
        metrics.add_metric(name="LinkUpdated", unit=MetricUnit.Count, value=1)
    return to_link(link, effects.current(code, QR_EFFECT), settings.short_base_url())


def delete_link(owner: str, code: str) -> None:
    # Read first only to learn the tags whose items go with the link.
    link = store.find_owned(code, owner)
    if link is None or not store.delete_owned(code, owner, link.tags or ()):
        raise not_found("the link")
    metrics.add_metric(name="LinkDeleted", unit=MetricUnit.Count, value=1)
