"""Timing, percentiles, goals and tables: the one place every benchmark part measures with.

Every comparison is a ratio of two things measured in the same run, interleaved call by call,
so that whatever else the machine does at that moment slows both sides alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

RATIO = "\N{MULTIPLICATION SIGN}"  # the unit of a ratio


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), interpolating linearly between closest ranks (numpy's way)."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


@dataclass(frozen=True)
class Summary:
    """The distribution of one measured quantity, in milliseconds unless said otherwise."""

    n: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        return cls(
            n=len(samples),
            p50=percentile(samples, 50),
            p95=percentile(samples, 95),
            p99=percentile(samples, 99),
            max=max(samples),
        )


def latency_table(title: str, first_column: str, samples: dict[str, list[float]]) -> Table:
    """p50, p95 and p99 in ms of each contender of `interleaved`, one row each."""
    table = Table(title, [first_column, "p50 ms", "p95 ms", "p99 ms"])
    for name, values in samples.items():
        summary = Summary.of(values)
        table.add(name, summary.p50, summary.p95, summary.p99)
    return table


def elapsed_ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def interleaved(
    calls: dict[str, Callable[[], Any]], *, iterations: int, warmup: int
) -> dict[str, list[float]]:
    """Milliseconds per call of each contender, run round-robin after `warmup` untimed rounds."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(iterations):
        for name, call in calls.items():
            samples[name].append(elapsed_ms(call))
    return samples


def wait_until(condition: Callable[[], Any], *, timeout_s: float, interval_s: float = 0.01) -> Any:
    """Poll `condition` until it returns something truthy; the value, or None after the bound."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval_s)


@dataclass(frozen=True)
class Goal:
    """One target of an issue, the value measured for it, and whether the value meets it."""

    measure: str
    value: float | None
    limit: float
    unit: str
    at_most: bool = True
    why: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "MISS", None: "not measured"}[self.passed]

    def row(self) -> list[str]:
        sign = "≤" if self.at_most else "≥"
        value = "—" if self.value is None else f"{fmt(self.value)} {self.unit}".strip()
        return [self.measure, f"{sign} {fmt(self.limit)} {self.unit}".strip(), value, self.verdict]


GOAL_COLUMNS = ["measure", "goal", "measured", "verdict"]


def fmt(value: Any) -> str:
    """Numbers at a precision a reader can compare; everything else as it is."""
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append(list(cells))

    def markdown(self) -> str:
        cells = [[fmt(cell) for cell in row] for row in self.rows]
        widths = [
            max([len(column), *(len(row[i]) for row in cells)])
            for i, column in enumerate(self.columns)
        ]

        def line(values: Sequence[str]) -> str:
            return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line(self.columns), rule, *(line(row) for row in cells)])


def goals_table(goals: Sequence[Goal]) -> Table:
    return Table("Goals", GOAL_COLUMNS, [goal.row() for goal in goals])
