"""How results reach the operator: JSON on stdout for scripts, tables for people, progress and
notes on stderr so that they never mix into what a script parses."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

# Off a terminal rich would wrap at 80 columns; a piped table is easier to read wide.
_PIPED_WIDTH = 160


class ProgressTask:
    """One bar (or spinner, when the total is unknown) that work advances."""

    def __init__(self, progress: Progress, description: str, total: float | None) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=total)

    def advance(self, amount: float = 1) -> None:
        self._progress.advance(self._task, amount)

    def update(self, **fields: Any) -> None:
        self._progress.update(self._task, **fields)


class Output:
    def __init__(self, *, as_json: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.as_json = as_json
        self._stdout = stdout
        width = int(os.environ.get("COLUMNS", _PIPED_WIDTH))
        self._console = Console(file=stdout, highlight=False)
        if not self._console.is_terminal:
            self._console = Console(file=stdout, highlight=False, width=width)
        self._errors = Console(file=stderr, highlight=False, stderr=True)

    def result(self, data: Any, readable: Callable[[], RenderableType]) -> None:
        """The command's answer: `data` as JSON with --json, else what `readable` renders."""
        if self.as_json:
            self._stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        else:
            self._console.print(readable())

    def show(self, readable: RenderableType) -> None:
        """Part of the readable answer printed at once, as work goes on (nothing with --json)."""
        if not self.as_json:
            self._console.print(readable)

    def line(self, record: Any) -> None:
        """One JSON line on stdout (JSONL), whatever the mode: for `dlq export > file`."""
        self._stdout.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")

    def note(self, message: str) -> None:
        """A remark for the operator (stderr, in both modes)."""
        self._errors.print(message, soft_wrap=True, markup=False)

    def error(self, message: str) -> None:
        self._errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[ProgressTask]:
        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
        columns.append(TimeElapsedColumn())
        with Progress(
            *columns,
            console=self._errors,
            transient=True,
            disable=not self._errors.is_terminal,
        ) as progress:
            yield ProgressTask(progress, description, total)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A table that folds long values instead of cutting them: names must stay copyable."""
    rendered = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        rendered.add_column(column, overflow="fold")
    for row in rows:
        # Text, not str: a message body that looks like rich markup must print as it is.
        rendered.add_row(*(Text("-" if value is None else str(value)) for value in row))
    return rendered
