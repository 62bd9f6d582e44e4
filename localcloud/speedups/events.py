"""moto's EventBridge targets: each JSONPath of an input template parsed once.

For every event a rule delivers, and for each of its targets, moto's `EventTemplateParser`
parses the JSONPath of every input path (nine for the default template), and `jsonpath_ng`
rebuilds its parser tables each time. A parsed expression is immutable, so the parse of each
distinct expression is kept (a template's paths are few and fixed by the stack).
"""

from __future__ import annotations

from functools import lru_cache

import jsonpath_ng.ext


def cache_jsonpath_parsing() -> None:
    parse = jsonpath_ng.ext.parse
    if getattr(parse, "cache_info", None) is None:  # once per process
        jsonpath_ng.ext.parse = lru_cache(maxsize=1024)(parse)
