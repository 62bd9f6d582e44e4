"""What the local cloud's tests share besides fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

MINI = Path(__file__).parent / "fixtures" / "mini"
T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float, what: str) -> T:
    """Poll until `check` returns something truthy, and return it; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
