"""Where links live: the Links table's link items, and nothing about HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    PutError,
    TransactWriteError,
    UpdateError,
)
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shortener.aws_clients import BoundedCalls
from shortener.links.codes import is_valid_alias
from shortener.models import (
    LINK_SK,
    EffectStatusModel,
    LinkModel,
    LinkTagModel,
    condition_failed,
)

LinkKey = dict[str, dict[str, str]]


@cache
def _transactions() -> Connection:
    """The connection of the transactions that write a link with its tag items."""
    return Connection(
        connect_timeout_seconds=BoundedCalls.connect_timeout_seconds,
        read_timeout_seconds=BoundedCalls.read_timeout_seconds,
        max_retry_attempts=BoundedCalls.max_retry_attempts,
    )


def connect() -> None:
    """Make the clients now, in this thread, before several threads share them."""
    _ = LinkModel._get_connection().connection.client
    _ = _transactions().client


def _tag_item(link: LinkModel, tag: str) -> LinkTagModel:
    return LinkTagModel(
        link.code,
        LinkTagModel.sort_key(tag),
        tag_key=LinkTagModel.index_key(link.owner, tag),
        created_at=link.created_at,
    )


def _link_condition_failed(error: TransactWriteError) -> bool:
    """Whether a transaction failed because the link's own condition (its first item) did not
    hold, rather than for a conflict with another write."""
    reasons = error.cancellation_reasons
    return bool(reasons) and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed"


def _could_exist(code: str) -> bool:
    # Every code we store matches the alias pattern; anything else cannot be a key (or may
    # even be too long for one), so it is simply absent.
    return is_valid_alias(code)


def insert(link: LinkModel) -> bool:
    """Write a new link unless its code is taken; False when it is.

    A link with tags is written in one transaction with an item per tag (the by_tag index), the
    link's put under the same condition, so a listing by tag never names a link that was not
    written, and a taken code writes nothing at all.
    """
    if not link.tags:
        try:
            link.save(condition=LinkModel.pk.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True
    try:
        with TransactWrite(connection=_transactions()) as transaction:
            transaction.save(link, condition=LinkModel.pk.does_not_exist())
            for tag in link.tags:
                transaction.save(_tag_item(link, tag))
    except TransactWriteError as error:
        if _link_condition_failed(error):
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
    """Apply changed fields (None removes one); False when the link vanished meanwhile.

    New tags get their items and dropped tags lose theirs in the same transaction as the
    link's update, so the by_tag index always says what the link says.
    """
    actions: list[Action] = []
    for name, value in changes.items():
        attribute = getattr(LinkModel, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    condition = LinkModel.owner == link.owner
    if "tags" not in changes:
        try:
            link.update(actions=actions, condition=condition)
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True
    before, after = set(link.tags or ()), set(changes["tags"] or ())
    try:
        with TransactWrite(connection=_transactions()) as transaction:
            transaction.update(link, actions=actions, condition=condition)
            for tag in sorted(after - before):
                transaction.save(_tag_item(link, tag))
            for tag in sorted(before - after):
                transaction.delete(LinkTagModel(link.code, LinkTagModel.sort_key(tag)))
    except TransactWriteError as error:
        if _link_condition_failed(error):
            return False
        raise
    for name, value in changes.items():
        setattr(link, name, value)  # what an update's ALL_NEW answer would have set
    return True


def delete_owned(code: str, owner: str, tags: Sequence[str] = ()) -> bool:
    """Delete the owner's link (and its tag items); False when there is no such link of theirs."""
    if not _could_exist(code):
        return False
    condition = LinkModel.owner == owner
    if not tags:
        try:
            LinkModel(code, LINK_SK).delete(condition=condition)
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True
    try:
        with TransactWrite(connection=_transactions()) as transaction:
            transaction.delete(LinkModel(code, LINK_SK), condition=condition)
            for tag in tags:
                transaction.delete(LinkTagModel(code, LinkTagModel.sort_key(tag)))
    except TransactWriteError as error:
        if _link_condition_failed(error):
            return False
        raise
    return True


def page_of_tag(
    owner: str, tag: str, limit: int, start_after: LinkKey | None
) -> tuple[list[LinkModel], LinkKey | None]:
    """Up to `limit` of the owner's links with `tag`, newest first, and where the next page
    starts: one index query, then one batch read of the links themselves."""
    results = LinkTagModel.by_tag.query(
        LinkTagModel.index_key(owner, tag),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start_after,
    )
    tagged = list(results)
    codes = [item.pk for item in tagged]
    found = {link.code: link for link in LinkModel.batch_get([(c, LINK_SK) for c in codes])}
    # A tag item outlives its link only between two writes of a race; never show it.
    links = [
        found[item.pk]
        for item in tagged
        if item.pk in found
        and found[item.pk].owner == owner
        and tag in (found[item.pk].tags or ())
        and found[item.pk].created_at == item.created_at
    ]
    return links, results.last_evaluated_key


def effect_statuses(codes: Iterable[str], effect: str) -> dict[str, EffectStatusModel]:
    """One effect's status for many links in one batch read; links without one are left out."""
    keys = [(code, EffectStatusModel.sort_key(effect)) for code in codes]
    if not keys:
        return {}
    return {status.pk: status for status in EffectStatusModel.batch_get(keys)}
