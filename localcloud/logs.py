"""Where every log line of the local cloud goes: one stream, each line prefixed by its source
(a function's logical id, or `localcloud`), and the recent lines kept per source for tests."""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from typing import TextIO

_COLORS = ("36", "33", "35", "32", "34", "91", "96", "93", "95", "92", "94")
_RESET = "\033[0m"


class LogSink:
    def __init__(
        self, stream: TextIO | None = None, *, echo: bool = True, keep_per_source: int = 2000
    ) -> None:
        self._stream = stream or sys.stdout
        self._echo = echo
        self._keep = keep_per_source
        self._lines: dict[str, deque[str]] = {}
        self._colors: dict[str, str] = {}
        self._lock = threading.Lock()
        self._color = (
            hasattr(self._stream, "isatty")
            and self._stream.isatty()
            and "NO_COLOR" not in os.environ
        )

    def emit(self, source: str, line: str) -> None:
        with self._lock:
            self._lines.setdefault(source, deque(maxlen=self._keep)).append(line)
            if self._echo:
                # A carriage return inside a record (a runtime's error report) would overwrite
                # the line on a terminal.
                shown = line.replace("\r", " \u23ce ")
                self._stream.write(f"{self._prefix(source)} {shown}\n")
                self._stream.flush()

    def lines(self, source: str) -> list[str]:
        with self._lock:
            return list(self._lines.get(source, ()))

    def _prefix(self, source: str) -> str:
        if not self._color:
            return f"[{source}]"
        color = self._colors.setdefault(source, _COLORS[len(self._colors) % len(_COLORS)])
        return f"\033[{color}m[{source}]{_RESET}"
