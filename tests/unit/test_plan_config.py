"""Plans from cdk.json `plans`: each a rate, a burst and a daily quota, with a name a usage plan
and a logical id can carry; anything else stops the synthesis with the key to fix."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App

from infra.config import CDK_JSON, ContextError, Plan, StageConfig, load_cdk_context


def _config(**overrides: str) -> StageConfig:
    context = load_cdk_context({"email_sender": "no-reply@example.com", **overrides})
    return StageConfig.from_node(App(context=context).node)


def test_the_built_in_plans_are_free_and_pro() -> None:
    assert _config().plans == (
        Plan("free", rate=10, burst=20, quota_per_day=10_000),
        Plan("pro", rate=100, burst=200, quota_per_day=1_000_000),
    )
    assert "plans" in json.loads(CDK_JSON.read_text())["context"]


def test_a_plan_given_with_dash_c_replaces_the_table() -> None:
    plans = {"team-plus": {"rate": 2.5, "burst": 5, "quota_per_day": 50}}

    (plan,) = _config(plans=json.dumps(plans)).plans

    assert plan == Plan("team-plus", rate=2.5, burst=5, quota_per_day=50)
    assert plan.logical_id == "TeamPlusUsagePlan"


@pytest.mark.parametrize(
    "plans",
    [
        {},
        {"Free": {"rate": 1, "burst": 1, "quota_per_day": 1}},
        {"free": {"rate": 0, "burst": 1, "quota_per_day": 1}},
        {"free": {"rate": 1, "burst": 0, "quota_per_day": 1}},
        {"free": {"rate": 1, "burst": 1}},
        {"free": {"rate": "fast", "burst": 1, "quota_per_day": 1}},
    ],
)
def test_a_plan_the_stack_cannot_be_built_with_is_a_context_error(plans: dict) -> None:
    with pytest.raises(ContextError, match="plan"):
        _config(plans=json.dumps(plans))
