"""Where links live: the Links table's link items, and nothing about HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from shortener.links.codes import is_valid_alias
from shortener.models import LINK_SK, EffectStatusModel, LinkModel, condition_failed

LinkKey = dict[str, dict[str, str]]


def _could_exist(code: str) -> bool:
    # Every code we store matches the alias pattern; anything else cannot be a key (or may
    # even be too long for one), so it is simply absent.
    return is_valid_alias(code)


def insert(link: LinkModel) -> bool:
    """Write a new link unless its code is taken; False when it is."""
    try:
        link.save(condition=LinkModel.pk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def find_owned(code: str, owner: str) -> LinkModel | None:
    """The owner's link, or None: another owner's link is as absent as a missing one."""
    if not _could_exist(code):
        return None
    try:
        # Read-your-writes for the management API: a PATCH right after a POST must see the link.
        link = LinkModel.get(code, LINK_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return link if link.owner == owner else None


def page_of_owner(
    owner: str, limit: int, start_after: LinkKey | None
) -> tuple[list[LinkModel], LinkKey | None]:
    """Up to `limit` of the owner's links, newest first, and where the next page starts."""
    results = LinkModel.by_owner.query(
        owner, scan_index_forward=False, limit=limit, last_evaluated_key=start_after
    )
    links = list(results)
    return links, results.last_evaluated_key


def save_changes(link: LinkModel, changes: dict[str, Any]) -> bool:
    """Apply changed fields (None removes one); False when the link vanished meanwhile."""
    actions: list[Action] = []
    for name, value in changes.items():
        attribute = getattr(LinkModel, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        link.update(actions=actions, condition=LinkModel.owner == link.owner)
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def delete_owned(code: str, owner: str) -> bool:
    """Delete the owner's link; False when there is no such link of theirs."""
    if not _could_exist(code):
        return False
    try:
        LinkModel(code, LINK_SK).delete(condition=LinkModel.owner == owner)
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def effect_statuses(codes: Iterable[str], effect: str) -> dict[str, EffectStatusModel]:
    """One effect's status for many links in one batch read; links without one are left out."""
    keys = [(code, EffectStatusModel.sort_key(effect)) for code in codes]
    if not keys:
        return {}
    return {status.pk: status for status in EffectStatusModel.batch_get(keys)}
