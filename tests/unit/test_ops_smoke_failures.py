"""`python -m ops smoke` when the stack cannot be reached: the failing step, and nothing left."""

from __future__ import annotations

import json

import pytest

from shortener.models import ApiKeyModel
from tests.unit.ops_support import IGNORE_SKIPPED_PIPE, UNREACHABLE_BASE_URL, World, run_ops

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


def test_a_failed_step_exits_1_names_it_and_still_deletes_the_throwaway_key(world: World) -> None:
    ran = run_ops("smoke", "--json")

    assert ran.code == 1
    report = json.loads(ran.stdout)
    assert report["passed"] is False
    assert report["base_url"] == UNREACHABLE_BASE_URL
    steps = [(step["step"], step["ok"]) for step in report["steps"]]
    assert steps == [("create key", True), ("create link", False), ("delete key", True)]
    assert "create link" in ran.stderr
    assert list(ApiKeyModel.scan()) == [], "the throwaway key is deleted"


def test_the_readable_report_prints_each_step_as_a_row(world: World) -> None:
    ran = run_ops("smoke")

    assert ran.code == 1
    rows = [line.split()[:3] for line in ran.stdout.splitlines() if line.startswith(("ok", "FAIL"))]
    assert rows == [["ok", "create", "key"], ["FAIL", "create", "link"], ["ok", "delete", "key"]]
    assert "FAILED" in ran.stdout


@pytest.mark.parametrize("email", ["not-an-address", "a b@example.com"])
def test_a_bad_email_is_refused_before_anything_is_made(world: World, email: str) -> None:
    ran = run_ops("smoke", "--email", email)

    assert ran.code == 2
    assert list(ApiKeyModel.scan()) == []
