"""Side-effect status per link: what each consumer did, so "why no email?" has an answer.

The status item also orders a link's events for the consumers that need it. Its `version` is the
change the effect reflects: the link's `updated_at` for a create or update, and that same
`updated_at` plus `DELETED_SUFFIX` for the deletion that ends it, which sorts after every change
of the deleted link and before every change of a link later created with the same code (its
`created_at` is later than the deletion). A status never moves back to an older version, so a
late or repeated event can neither rewind it nor undo a deletion.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition

from shortener.clock import now_iso
from shortener.events import LinkEvent
from shortener.models import EFFECT_NAMES, EFFECT_SK_PREFIX, EffectStatusModel, condition_failed

MAX_ERROR_LENGTH = 500
DELETED_SUFFIX = "#deleted"
# States in which an effect is finished with its version; "failed" is retried.
FINISHED_STATES = ("done", "skipped")


def _load(code: str, effect: str) -> EffectStatusModel | None:
    try:
        # Consistent: a consumer decides from this whether an event is still to be applied.
        return EffectStatusModel.get(code, EffectStatusModel.sort_key(effect), consistent_read=True)
    except DoesNotExist:
        return None


def current(code: str, effect: str) -> EffectStatusModel | None:
    return _load(code, effect)


def version_of(event: LinkEvent) -> str:
    """Where an event's change sits in its link's history (see the module docstring)."""
    if event.type == "link.deleted":
        return event.link.updated_at + DELETED_SUFFIX
    return event.link.updated_at


def deleted_after(status: EffectStatusModel | None, event: LinkEvent) -> bool:
    """True when the status records the deletion of the link at a change later than the event's."""
    if status is None or not status.version:
        return False
    return status.version.endswith(DELETED_SUFFIX) and status.version > version_of(event)


def already_handled(status: EffectStatusModel | None, event: LinkEvent) -> bool:
    """True when the effect finished this change, or has started on a later one of the link."""
    if status is None or not status.version:
        return False
    version = version_of(event)
    if status.version > version:
        return True
    return status.version == version and status.state in FINISHED_STATES


def _not_newer_than(version: str) -> Condition:
    return EffectStatusModel.version.does_not_exist() | (EffectStatusModel.version <= version)


def _update_unless_newer(
    status: EffectStatusModel, actions: list[Any], version: str | None
) -> bool:
    try:
        status.update(actions=actions, condition=_not_newer_than(version) if version else None)
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def record_done(
    code: str,
    effect: str,
    *,
    event_id: str,
    version: str | None,
    detail: dict[str, Any] | None = None,
    state: str = "done",
) -> bool:
    """Record the effect as finished for `version`; False (and no write) if it reflects a later one.

    Without a version the write is unconditional and the status keeps no version.
    """
    status = EffectStatusModel(code, EffectStatusModel.sort_key(effect))
    actions: list[Any] = [
        EffectStatusModel.effect.set(effect),
        EffectStatusModel.state.set(state),
        EffectStatusModel.event_id.set(event_id),
        EffectStatusModel.updated_at.set(now_iso()),
        # Failed attempts stay counted: "done after 3 attempts" is worth seeing.
        EffectStatusModel.attempts.set(EffectStatusModel.attempts | 0),
        EffectStatusModel.last_error.remove(),
        EffectStatusModel.detail.set(detail) if detail else EffectStatusModel.detail.remove(),
        EffectStatusModel.version.set(version) if version else EffectStatusModel.version.remove(),
    ]
    return _update_unless_newer(status, actions, version)


def record_failure(
    code: str,
    effect: str,
    *,
    event_id: str,
    error: BaseException,
    version: str | None = None,
) -> bool:
    """Count a failed attempt and keep a short, secret-free description of why.

    With the event's version, a failure of an event the effect has moved past changes nothing.
    The version itself is left alone: it still names the last change the effect finished.
    """
    status = EffectStatusModel(code, EffectStatusModel.sort_key(effect))
    actions: list[Any] = [
        EffectStatusModel.effect.set(effect),
        EffectStatusModel.state.set("failed"),
        EffectStatusModel.attempts.add(1),
        EffectStatusModel.event_id.set(event_id),
        EffectStatusModel.updated_at.set(now_iso()),
        EffectStatusModel.last_error.set(f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]),
    ]
    return _update_unless_newer(status, actions, version)


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
