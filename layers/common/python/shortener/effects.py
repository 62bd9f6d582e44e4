"""Side-effect status per link: what each consumer did, so "why no email?" has an answer."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from shortener.clock import now_iso
from shortener.models import EFFECT_NAMES, EFFECT_SK_PREFIX, EffectStatusModel

MAX_ERROR_LENGTH = 500


def _load(code: str, effect: str) -> EffectStatusModel | None:
    try:
        return EffectStatusModel.get(code, EffectStatusModel.sort_key(effect))
    except DoesNotExist:
        return None


def current(code: str, effect: str) -> EffectStatusModel | None:
    return _load(code, effect)


def record_done(
    code: str,
    effect: str,
    *,
    event_id: str,
    version: str | None,
    detail: dict[str, Any] | None = None,
    state: str = "done",
) -> None:
    status = _load(code, effect) or EffectStatusModel(
        code, EffectStatusModel.sort_key(effect), effect=effect, attempts=0
    )
    status.state = state
    status.event_id = event_id
    status.version = version
    status.updated_at = now_iso()
    status.last_error = None
    status.detail = detail
    status.save()


def record_failure(code: str, effect: str, *, event_id: str, error: BaseException) -> None:
    """Count a failed attempt and keep a short, secret-free description of why."""
    status = _load(code, effect) or EffectStatusModel(
        code, EffectStatusModel.sort_key(effect), effect=effect, attempts=0
    )
    status.state = "failed"
    status.attempts = (status.attempts or 0) + 1
    status.event_id = event_id
    status.updated_at = now_iso()
    status.last_error = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    status.save()


def effects_for(code: str) -> dict[str, dict[str, Any]]:
    """Every effect's state for a link; an effect that has not run yet is pending."""
    found = {
        status.effect: status
        for status in EffectStatusModel.query(
            code, EffectStatusModel.sk.startswith(EFFECT_SK_PREFIX)
        )
    }
    view: dict[str, dict[str, Any]] = {}
    for name in EFFECT_NAMES:
        status = found.get(name)
        if status is None:
            view[name] = {"state": "pending", "attempts": 0, "updated_at": None, "last_error": None}
        else:
            view[name] = {
                "state": status.state,
                "attempts": status.attempts,
                "updated_at": status.updated_at,
                "last_error": status.last_error,
            }
    return view
