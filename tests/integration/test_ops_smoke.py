"""`python -m ops smoke` on the local cloud, as an engineer runs it after `make run`: every step
holds, the steps are printed with their times, and the throwaway key and link are gone after."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.helpers import Stack, run_ops

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

STEPS = [
    "create key",
    "create link",
    "follow short URL",
    "side effects",
    "QR image",
    "delete link",
    "delete key",
]


def test_smoke_passes_and_prints_every_step_with_its_time(aws_endpoint: str) -> None:
    ran = run_ops(aws_endpoint, "smoke", check=False)

    assert ran.returncode == 0, f"stdout:\n{ran.stdout}\nstderr:\n{ran.stderr}"
    rows = [line for line in ran.stdout.splitlines() if line.startswith(("ok", "FAIL"))]
    assert [row[6:22].strip() for row in rows] == STEPS, ran.stdout
    assert all(row.startswith("ok") and " s  " in row for row in rows), ran.stdout
    assert "passed" in ran.stdout.splitlines()[-1]


def test_smoke_json_reports_each_step_and_leaves_neither_key_nor_link(
    aws_endpoint: str, stack: Stack, aws_client: Callable[[str], Any]
) -> None:
    ran = run_ops(aws_endpoint, "smoke", "--json", check=False)

    assert ran.returncode == 0, f"stdout:\n{ran.stdout}\nstderr:\n{ran.stderr}"
    report: dict[str, Any] = json.loads(ran.stdout)
    assert report["passed"] is True
    assert [step["step"] for step in report["steps"]] == STEPS
    assert all(step["ok"] and step["seconds"] >= 0 for step in report["steps"])
    followed = report["steps"][STEPS.index("follow short URL")]["detail"]
    assert "(Miss from cloudfront, then Hit from cloudfront)" in followed, "through the CDN"
    effects = report["steps"][STEPS.index("side effects")]["detail"]
    for effect in ("qr done", "stats done", "email done", "webhooks skipped", "cdn skipped"):
        assert effect in effects
    dynamodb = aws_client("dynamodb")
    keys = dynamodb.scan(
        TableName=stack.output("KeysTableName"),
        FilterExpression="#owner = :owner",
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues={":owner": {"S": report["owner"]}},
    )
    assert keys["Items"] == [], "the throwaway key is deleted"
    link = dynamodb.get_item(
        TableName=stack.links_table,
        Key={"pk": {"S": report["code"]}, "sk": {"S": "link"}},
    )
    assert "Item" not in link, "the throwaway link is deleted"
