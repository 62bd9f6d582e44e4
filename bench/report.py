"""docs/benchmarks.md: one section per benchmark part, replaced in place when that part runs.

Running one part (`python -m bench sync`) rewrites only its own section, so the page always
holds the latest figures of every part, each with the machine facts of the run that made it.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.measure import Goal, Table, goals_table

DOCS = Path(__file__).resolve().parent.parent / "docs"
REPORT_PATH = DOCS / "benchmarks.md"

HEADER = """# Benchmarks

Written by `python -m bench` (`make bench`); do not edit by hand. Each section comes from one run
of its part (`python -m bench <part>` reruns one). Ratios compare two things measured in the same
run, interleaved call by call. Speed is only measured here, never asserted in a test.
"""


@dataclass
class PartResult:
    """What one benchmark part found: its goals first, then the tables they come from."""

    key: str
    title: str
    description: str = ""
    goals: list[Goal] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def print(self) -> None:
        print(f"\n== {self.title} ==")
        for table in [goals_table(self.goals), *self.tables] if self.goals else self.tables:
            print(f"\n{table.title}\n{table.markdown()}")
        for note in self.notes:
            print(f"- {note}")

    def markdown(self) -> str:
        parts = [f"## {self.title}", f"_{machine_facts(self.load_at_start)}_"]
        if self.description:
            parts.append(_how_measured(self.description))
        if self.goals:
            parts.append(goals_table(self.goals).markdown())
            why = [f"- **{g.measure}** ({g.verdict}): {g.why}" for g in self.goals if g.why]
            if why:
                parts.append("\n".join(why))
        for table in self.tables:
            parts += [f"### {table.title}", table.markdown()]
        notes = [*self.notes, *busy_machine_note(self.load_at_start)]
        if notes:
            parts.append("\n".join(f"- {note}" for note in notes))
        parts += [f"![{self.title}]({image})" for image in self.images]
        return "\n\n".join(parts)


def _how_measured(docstring: str) -> str:
    """A part module's docstring, minus its first line (the title), as the section's method."""
    body = docstring.strip().split("\n", 1)[1:]
    return "**How it is measured.**\n\n" + body[0].strip() if body else ""


def busy_machine_note(load_at_start: tuple[float, float, float]) -> list[str]:
    """A warning when other work competed for the cores: tails and ratios then carry its noise."""
    cores = os.cpu_count() or 1
    busiest = max(load_at_start[0], os.getloadavg()[0])
    if busiest <= cores:
        return []
    return [
        f"The machine was busy with other work (1-minute load average up to {busiest:.1f} on "
        f"{cores} cores): tail latencies and ratios of tails carry that noise."
    ]


def machine_facts(load_at_start: tuple[float, float, float]) -> str:
    def one_minute(load: tuple[float, float, float]) -> str:
        return f"{load[0]:.1f}"

    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({platform.machine()}), "
        f"shared: 1-minute load average {one_minute(load_at_start)} when the part started, "
        f"{one_minute(os.getloadavg())} when it ended; "
        f"Python {platform.python_version()}; moto {metadata.version('moto')}; "
        f"boto3 {metadata.version('boto3')}"
    )


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"


def write(results: list[PartResult], order: list[str], path: Path = REPORT_PATH) -> None:
    """Replace the sections of `results` in the page, keeping the others, in `order`."""
    existing = path.read_text() if path.exists() else ""
    sections: dict[str, str] = {}
    for key in order:
        start, end = _markers(key)
        found = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), existing, re.S)
        if found:
            sections[key] = found.group(1)
    for result in results:
        sections[result.key] = result.markdown()
    body = [HEADER]
    for key in order:
        if key in sections:
            start, end = _markers(key)
            body.append(f"{start}\n{sections[key]}\n{end}")
    path.write_text("\n".join(body) + "\n")
    print(f"\nwrote {path.relative_to(path.parent.parent)}", file=sys.stderr)
