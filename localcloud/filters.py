"""Filter criteria (Pipes, event source mappings) in EventBridge pattern syntax, matched by
moto's own EventBridge matcher rather than a second implementation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from moto.events.models import EventMessageType, EventPattern


def load_filters(criteria: Mapping[str, Any] | None) -> tuple[EventPattern, ...]:
    """The patterns of a FilterCriteria property ({"Filters": [{"Pattern": "..."}]})."""
    return tuple(EventPattern.load(f["Pattern"]) for f in (criteria or {}).get("Filters", []))


def passes(filters: tuple[EventPattern, ...], record: Mapping[str, Any]) -> bool:
    """No filter lets everything through; otherwise any one matching pattern does."""
    event = cast(EventMessageType, record)
    return not filters or any(pattern.matches_event(event) for pattern in filters)
