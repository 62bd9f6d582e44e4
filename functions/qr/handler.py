"""Placeholder until the function's issue lands."""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> Any:
    raise NotImplementedError("qr")
