"""Every function: how it runs, what it is told (docs/architecture.md, "Functions"), its logs."""

from __future__ import annotations

import json

import pytest
from stack_template import StackTemplate

from infra.config import REPO_ROOT

COMMON = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL", "STAGE"}
# The architecture's "Functions" table, verbatim: a function gets exactly these names.
ENVIRONMENT = {
    "authorizer": {"KEYS_TABLE_NAME"},
    "api": {
        "LINKS_TABLE_NAME",
        "KEYS_TABLE_NAME",
        "WEBHOOKS_TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "CLICKS_TABLE_NAME",
        "SHORT_BASE_URL_PARAMETER",
        "OWN_ORIGINS_PARAMETER",
        "ALLOW_LOOPBACK_WEBHOOKS",
        "DELIVERY_QUEUE_URL",
    },
    "redirect": {"LINKS_TABLE_NAME", "REDIRECT_CACHE_TTL_SECONDS"},
    "enrich": {"SHORT_BASE_URL_PARAMETER"},
    "qr": {"LINKS_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "QR_BUCKET_NAME"},
    "stats": {"LINKS_TABLE_NAME"},
    "email": {"LINKS_TABLE_NAME", "KEYS_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "EMAIL_SENDER"},
    "webhook_dispatch": {
        "LINKS_TABLE_NAME",
        "WEBHOOKS_TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "DELIVERY_QUEUE_URL",
    },
    "webhook_deliver": {
        "WEBHOOKS_TABLE_NAME",
        "WEBHOOK_RETRY_DELAYS",
        "WEBHOOK_DISABLE_AFTER",
        "ALLOW_LOOPBACK_WEBHOOKS",
        "DELIVERY_QUEUE_URL",
        "DELIVERY_DEAD_LETTER_QUEUE_URL",
        "WEBHOOK_NOTICE_QUEUE_URL",
    },
    "webhook_notice": {"KEYS_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "EMAIL_SENDER"},
    "cdn": {"LINKS_TABLE_NAME", "DISTRIBUTION_ID"},
    "clicks": {
        "CLICK_LOG_FIELDS",
        "CLICKS_TABLE_NAME",
        "LINKS_TABLE_NAME",
        "VISITOR_SECRET_ARN",
        "CLICK_RETENTION_DAYS",
    },
}
TIMEOUTS = {"authorizer": 5, "redirect": 5, "api": 10, "enrich": 10, "clicks": 60}
CONSUMER_TIMEOUT = 30
# A Python process with boto3, Powertools and pydantic peaks near 150 MB; 0.7 x MemorySize
# must stay above that.
PEAK_RSS_MB = 150


def _variables(dev: StackTemplate, name: str) -> dict:
    return dev.function(name)["Environment"]["Variables"]


def test_the_stack_has_one_function_per_folder(dev: StackTemplate) -> None:
    assert len(dev.of_type("AWS::Lambda::Function")) == len(ENVIRONMENT)


@pytest.mark.parametrize("name", ENVIRONMENT)
def test_function_environment_is_exactly_the_documented_one(dev: StackTemplate, name: str) -> None:
    variables = _variables(dev, name)
    assert set(variables) == COMMON | ENVIRONMENT[name]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "shortener"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Shortener"
    assert variables["STAGE"] == "dev"


@pytest.mark.parametrize("name", ENVIRONMENT)
def test_function_runs_its_folder_on_python313_with_both_layers(
    dev: StackTemplate, name: str
) -> None:
    props = dev.function(name)
    assert props["Runtime"] == "python3.13"
    assert props["Handler"] == "handler.handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    layers = {layer["Ref"] for layer in props["Layers"]}
    assert layers == set(dev.of_type("AWS::Lambda::LayerVersion"))
    # The code asset is the function's own folder.
    asset_dir = dev.path.parent / ("asset." + props["Code"]["S3Key"].removesuffix(".zip"))
    handler = (REPO_ROOT / "functions" / name / "handler.py").read_text()
    assert (asset_dir / "handler.py").read_text() == handler


@pytest.mark.parametrize("name", ENVIRONMENT)
def test_function_memory_leaves_room_for_its_peak_and_timeout_fits_its_role(
    dev: StackTemplate, name: str
) -> None:
    props = dev.function(name)
    assert props["MemorySize"] * 0.7 >= PEAK_RSS_MB
    assert props["Timeout"] == TIMEOUTS.get(name, CONSUMER_TIMEOUT)


def test_the_management_api_gets_more_memory(dev: StackTemplate) -> None:
    assert dev.function("api")["MemorySize"] == 512


def test_layers_ship_for_the_function_runtime(dev: StackTemplate) -> None:
    for layer in dev.of_type("AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]


@pytest.mark.parametrize(("synth_name", "days"), [("dev", 14), ("prod", 90)])
def test_each_function_logs_to_its_own_group_with_the_stage_retention(
    request: pytest.FixtureRequest, synth_name: str, days: int
) -> None:
    synth: StackTemplate = request.getfixturevalue(synth_name)
    groups = [synth.function(name)["LoggingConfig"]["LogGroup"]["Ref"] for name in ENVIRONMENT]
    assert len(set(groups)) == len(groups)
    for group in groups:
        assert synth.props(group)["RetentionInDays"] == days


def test_no_custom_resources_that_only_aws_could_run(dev: StackTemplate) -> None:
    # The local cloud runs the template as is: no log-retention or auto-delete helpers.
    assert not [
        r
        for r in dev.resources.values()
        if r["Type"].startswith(("Custom::", "AWS::CloudFormation::CustomResource"))
    ]


def test_webhook_retry_schedule_and_loopback_follow_the_stage(dev: StackTemplate) -> None:
    deliver = _variables(dev, "webhook_deliver")
    assert json.loads(deliver["WEBHOOK_RETRY_DELAYS"]) == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert deliver["ALLOW_LOOPBACK_WEBHOOKS"] == "false"
    assert _variables(dev, "api")["ALLOW_LOOPBACK_WEBHOOKS"] == "false"
