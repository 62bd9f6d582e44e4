"""The benchmark's arithmetic: percentiles, goal verdicts and the tables written to the docs."""

from __future__ import annotations

import pytest

from bench.measure import RATIO, Goal, Summary, Table, interleaved, percentile
from bench.report import PartResult, write


def test_percentile_interpolates_between_closest_ranks() -> None:
    samples = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose

    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 50) == 2.5
    assert percentile(samples, 100) == 4.0
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def test_percentile_refuses_no_samples_and_bad_ranks() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 101)


def test_summary_of_a_slow_tail() -> None:
    summary = Summary.of([10.0] * 98 + [500.0, 1000.0])

    assert summary.n == 100
    assert summary.p50 == 10.0
    assert summary.p99 == pytest.approx(505.0)
    assert summary.max == 1000.0


def test_goal_verdicts_for_both_directions_and_a_missing_value() -> None:
    assert Goal("ratio", 1.19, 1.2, RATIO).verdict == "pass"
    assert Goal("ratio", 1.21, 1.2, RATIO).verdict == "MISS"
    assert Goal("speed-up", 25.0, 20.0, RATIO, at_most=False).verdict == "pass"
    assert Goal("speed-up", 19.0, 20.0, RATIO, at_most=False).verdict == "MISS"
    assert Goal("lag", None, 2.0, "s").verdict == "not measured"


def test_interleaved_times_every_contender_round_robin() -> None:
    order: list[str] = []

    samples = interleaved(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")}, iterations=3, warmup=1
    )

    assert order == ["a", "b"] * 4
    assert [len(samples["a"]), len(samples["b"])] == [3, 3]
    assert all(ms >= 0 for ms in samples["a"] + samples["b"])


def test_markdown_table_aligns_columns_and_formats_numbers() -> None:
    table = Table("t", ["measure", "p50 ms"], [["redirect", 1.234], ["create", 123.4]])

    assert table.markdown().splitlines() == [
        "| measure  | p50 ms |",
        "|----------|--------|",
        "| redirect | 1.23   |",
        "| create   | 123    |",
    ]


def test_rerunning_one_part_replaces_only_its_section(tmp_path) -> None:
    page = tmp_path / "benchmarks.md"
    first = PartResult("a", "Part A", tables=[Table("t", ["x"], [["old a"]])])
    other = PartResult("b", "Part B", tables=[Table("t", ["x"], [["kept b"]])])
    write([first, other], order=["a", "b"], path=page)

    write([PartResult("a", "Part A", tables=[Table("t", ["x"], [["new a"]])])], ["a", "b"], page)

    text = page.read_text()
    assert "new a" in text
    assert "old a" not in text
    assert "kept b" in text
    assert text.index("Part A") < text.index("Part B")
