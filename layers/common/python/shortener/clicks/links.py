"""Whose link a code is: its owner and creation time, read once per distinct code of a batch."""

from __future__ import annotations

from collections.abc import Iterable

from shortener.clicks.aggregation import LinkRef
from shortener.models import LINK_SK, LinkModel


def link_refs(codes: Iterable[str]) -> dict[str, LinkRef]:
    """The links behind `codes`; a code without a link (deleted since) is left out."""
    keys = [(code, LINK_SK) for code in sorted(set(codes))]
    if not keys:
        return {}
    links = LinkModel.batch_get(keys, attributes_to_get=["pk", "owner", "created_at"])
    return {
        link.pk: LinkRef(code=link.pk, owner=link.owner, created_at=link.created_at)
        for link in links
    }
