"""The gateway as the one entry point: usage plans from cdk.json `plans`, API keys sourced from
the authorizer, keys required on every management method, the redirect's own method throttle,
and 429 answers a client can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template
from stack_template import StackTemplate

from infra.api import MANAGEMENT_ROUTES, RETRY_AFTER_QUOTA_EXCEEDED, RETRY_AFTER_THROTTLED
from infra.config import load_cdk_context
from infra.stack import build_app

PLANS = {"free": (10, 20, 10_000), "pro": (100, 200, 1_000_000)}


def _usage_plans(synth: StackTemplate) -> dict[str, dict]:
    return {
        resource["Properties"]["UsagePlanName"]: {
            "logical_id": logical_id,
            **resource["Properties"],
        }
        for logical_id, resource in synth.of_type("AWS::ApiGateway::UsagePlan").items()
    }


def test_each_plan_is_a_usage_plan_on_the_stage_with_its_rate_burst_and_daily_quota(
    dev: StackTemplate,
) -> None:
    plans = _usage_plans(dev)
    (stage_id,) = dev.of_type("AWS::ApiGateway::Stage")

    assert set(plans) == {"shortener-dev-free", "shortener-dev-pro"}
    for name, (rate, burst, quota) in PLANS.items():
        plan = plans[f"shortener-dev-{name}"]
        assert plan["logical_id"] == f"{name.capitalize()}UsagePlan"
        assert plan["Throttle"] == {"RateLimit": rate, "BurstLimit": burst}
        assert plan["Quota"] == {"Limit": quota, "Period": "DAY"}
        [api_stage] = plan["ApiStages"]
        assert api_stage["ApiId"] == {"Ref": "Api"}
        assert api_stage["Stage"] == {"Ref": stage_id}


def test_the_stack_outputs_each_plan_s_usage_plan_id(dev: StackTemplate) -> None:
    output = dev.template.to_json()["Outputs"]["UsagePlans"]["Value"]

    assert {"Ref": "FreeUsagePlan"} in output["Fn::Join"][1]
    assert {"Ref": "ProUsagePlan"} in output["Fn::Join"][1]


def test_a_plan_added_in_context_gets_its_own_usage_plan(tmp_path: Path) -> None:
    plans = {
        "free": {"rate": 1, "burst": 2, "quota_per_day": 3},
        "team-plus": {"rate": 5, "burst": 9, "quota_per_day": 99},
    }
    context = {"email_sender": "a@example.com", "plans": json.dumps(plans)}
    _, stack = build_app(load_cdk_context(context), outdir=str(tmp_path), nag=False)
    usage_plans = Template.from_stack(stack).find_resources("AWS::ApiGateway::UsagePlan")

    assert set(usage_plans) == {"FreeUsagePlan", "TeamPlusUsagePlan"}
    team = usage_plans["TeamPlusUsagePlan"]["Properties"]
    assert team["Quota"] == {"Limit": 99, "Period": "DAY"}
    assert team["Throttle"] == {"RateLimit": 5, "BurstLimit": 9}


def test_usage_plans_meter_the_key_the_authorizer_names(dev: StackTemplate) -> None:
    assert dev.props("Api")["ApiKeySourceType"] == "AUTHORIZER"


def test_every_management_method_requires_a_metered_key_and_public_ones_none(
    dev: StackTemplate,
) -> None:
    management = {(method, path) for path, methods in MANAGEMENT_ROUTES for method in methods}
    management |= {("HEAD", path) for method, path in management if method == "GET"}
    for route, props in dev.routes().items():
        assert props.get("ApiKeyRequired", False) is (route in management), route


def test_the_redirect_has_its_own_method_throttle(dev: StackTemplate, prod: StackTemplate) -> None:
    for synth, rate, burst in ((dev, 200, 400), (prod, 2000, 4000)):
        ((_, stage),) = synth.of_type("AWS::ApiGateway::Stage").items()
        settings = {
            (s["ResourcePath"], s["HttpMethod"]): s for s in stage["Properties"]["MethodSettings"]
        }
        for method in ("GET", "HEAD"):
            redirect = settings[("/~1{code}", method)]
            assert redirect["ThrottlingRateLimit"] == rate
            assert redirect["ThrottlingBurstLimit"] == burst


def _gateway_responses(synth: StackTemplate) -> dict[str, dict]:
    return {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    }


@pytest.mark.parametrize(
    ("response_type", "retry_after"),
    [("THROTTLED", RETRY_AFTER_THROTTLED), ("QUOTA_EXCEEDED", RETRY_AFTER_QUOTA_EXCEEDED)],
)
def test_over_the_rate_or_the_quota_is_a_429_problem_with_retry_after(
    dev: StackTemplate, response_type: str, retry_after: str
) -> None:
    response = _gateway_responses(dev)[response_type]

    assert response["StatusCode"] == "429"
    headers = response["ResponseParameters"]
    assert headers["gatewayresponse.header.Retry-After"] == f"'{retry_after}'"
    assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["status"] == 429
    assert body["title"] == "Too Many Requests"


def test_outside_scopes_and_without_a_plan_are_403_problems(dev: StackTemplate) -> None:
    responses = _gateway_responses(dev)
    for response_type in ("ACCESS_DENIED", "INVALID_API_KEY"):
        response = responses[response_type]
        assert response["StatusCode"] == "403"
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert (body["status"], body["title"]) == (403, "Forbidden")
