"""`dlq redrive --filter`: which messages to move. Several filters must all match.

type=link.created      the event's type
code=abc1234           the link's code
event=evt_...          one event id
jmes:<expression>      a JMESPath expression over the body JSON; truthy selects
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jmespath
from jmespath.exceptions import JMESPathError

from ops.decode import Decoded
from ops.errors import UsageError
from shortener.events import EVENT_TYPES

Selector = Callable[[Decoded], bool]
FILTER_HELP = (
    "type=link.created | code=CODE | event=EVENT_ID | 'jmes:EXPRESSION' "
    "(repeatable: all must match)"
)


def _by_field(field: str, wanted: str) -> Selector:
    def selects(decoded: Decoded) -> bool:
        values = {"type": decoded.event_type, "code": decoded.code, "event": decoded.event_id}
        return values[field] == wanted

    return selects


def _by_jmespath(expression: str) -> Selector:
    try:
        compiled = jmespath.compile(expression)
    except JMESPathError as error:
        raise UsageError(f"--filter jmes:{expression}: {error}") from error

    def selects(decoded: Decoded) -> bool:
        return decoded.body is not None and bool(compiled.search(decoded.body))

    return selects


def parse_filter(text: str) -> Selector:
    if text.startswith("jmes:"):
        return _by_jmespath(text.removeprefix("jmes:"))
    field, separator, wanted = text.partition("=")
    field = field.strip()
    wanted = wanted.strip()
    if not separator or field not in ("type", "code", "event") or not wanted:
        raise UsageError(f"--filter {text!r}: expected {FILTER_HELP}")
    if field == "type" and wanted not in EVENT_TYPES:
        raise UsageError(f"--filter {text!r}: the event types are {', '.join(EVENT_TYPES)}")
    return _by_field(field, wanted)


def selector_for(filters: Sequence[str]) -> Selector | None:
    """None when nothing is filtered: every message moves (and the native move may be used)."""
    if not filters:
        return None
    selectors = [parse_filter(text) for text in filters]
    return lambda decoded: all(selects(decoded) for selects in selectors)
