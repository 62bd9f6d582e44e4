"""The small path and template languages of EventBridge Pipes: `$.a.b[0]` dynamic paths and
input templates with `<$.path>` placeholders."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_PLACEHOLDER = re.compile(r"<(\$[^>]*|aws\.pipes\.[A-Za-z.-]+)>")


def is_dynamic_path(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$.")


def json_path(document: Any, path: str) -> Any:
    """The value at `$.a.b[0]` in a document, or None."""
    if path == "$":
        return document
    current = document
    for key, index in _PATH_STEP.findall(path[1:]):
        if key and isinstance(current, Mapping):
            current = current.get(key)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
    return current


def dynamic(value: Any, document: Any) -> Any:
    """A target parameter: a literal, or a `$.path` into the event being sent."""
    return json_path(document, value) if is_dynamic_path(value) else value


def render_input_template(template: str, document: Any, variables: Mapping[str, Any]) -> Any:
    """Fill a Pipes input template. Inside quotes a string value goes in as text; elsewhere a
    value goes in as JSON. The result is JSON when it parses as JSON, else text."""

    def value_of(name: str) -> Any:
        if name == "aws.pipes.event.json":
            return document
        if name.startswith("aws.pipes."):
            return variables.get(name)
        return json_path(document, name)

    def fill(match: re.Match[str]) -> str:
        value = value_of(match.group(1))
        quoted = (
            match.start() > 0
            and template[match.start() - 1] == '"'
            and template[match.end() : match.end() + 1] == '"'
        )
        if quoted and isinstance(value, str):
            return json.dumps(value)[1:-1]
        return json.dumps(value)

    rendered = _PLACEHOLDER.sub(fill, template)
    try:
        return json.loads(rendered)
    except ValueError:
        return rendered
