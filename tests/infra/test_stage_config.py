"""Stage settings from context, as `-c key=value` on the CDK command line would give them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

import infra.layers
from infra.config import (
    LOCAL_EMAIL_SENDER,
    ContextError,
    EmailSettings,
    StageConfig,
    load_cdk_context,
)
from infra.email_identity import SenderIdentity
from infra.layers import SharedLayers

SENDER = "no-reply@mail.example.org"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _config(**overrides: object) -> StageConfig:
    return StageConfig.from_node(App(context=load_cdk_context(overrides)).node)


def _with_stage_settings(stage: str, **settings: object) -> dict[str, Any]:
    stages = load_cdk_context()["stages"]
    return {**stages, stage: {**stages[stage], **settings}}


def test_default_is_the_dev_stage_from_cdk_json() -> None:
    config = _config(email_sender=SENDER)
    assert config.stage == "dev"
    assert config.stack_name == "Shortener-dev"
    assert config.local is False
    assert config.allow_loopback_webhooks == "false"
    assert config.webhook_retry_delays_seconds == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert config.removal_policy == RemovalPolicy.DESTROY
    assert config.email == EmailSettings(sender=SENDER, identity="address")


def test_prod_retains_data_and_keeps_logs_longer() -> None:
    config = _config(stage="prod", email_sender=SENDER)
    assert config.stack_name == "Shortener-prod"
    assert config.retain_data is True
    assert config.removal_policy == RemovalPolicy.RETAIN
    assert config.log_retention_days == 90
    assert config.redirect_cache_ttl_seconds == 300


def test_local_synthesis_uses_the_short_retry_schedule_and_given_base_url() -> None:
    # The CLI passes `-c local=true` as a string.
    config = _config(local="true", short_base_url="http://127.0.0.1:3000/")
    assert config.local is True
    assert config.email.sender == LOCAL_EMAIL_SENDER
    assert config.allow_loopback_webhooks == "true"
    assert config.webhook_retry_delays_seconds == (1, 2, 4)
    assert config.short_base_url == "http://127.0.0.1:3000"


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="stage must be one of"):
        _config(stage="staging")


def test_a_retention_cloudwatch_refuses_is_caught_at_synthesis() -> None:
    stages = load_cdk_context()["stages"]
    stages = {**stages, "dev": {**stages["dev"], "log_retention_days": 10}}
    with pytest.raises(ValueError, match="log_retention_days 10"):
        _config(stages=stages, email_sender=SENDER)


def test_missing_dependencies_layer_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(infra.layers, "DEPENDENCIES_DIR", tmp_path / "layer-deps")
    with pytest.raises(FileNotFoundError, match="make layer"):
        SharedLayers(Stack(App(), "Test"), "Layers")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_deployable_stage_without_a_sender_names_the_key_to_set(stage: str) -> None:
    with pytest.raises(ContextError) as refused:
        _config(stage=stage)
    message = str(refused.value)
    assert "email_sender" in message
    assert f"stages.{stage}.email_sender" in message
    assert f"make synth STAGE={stage}" in message


def test_a_stage_takes_its_sender_from_cdk_json_and_the_command_line_wins() -> None:
    stages = _with_stage_settings("prod", email_sender="a@prod.example.org")
    assert _config(stage="prod", stages=stages).email.sender == "a@prod.example.org"
    assert _config(stage="prod", stages=stages, email_sender=SENDER).email.sender == SENDER


def test_a_local_stack_never_sends_as_the_deployed_stage() -> None:
    stages = _with_stage_settings("dev", email_sender=SENDER, email_identity="domain")
    assert _config(local="true", stages=stages).email == EmailSettings(
        LOCAL_EMAIL_SENDER, "address"
    )
    given = _config(local="true", stages=stages, email_sender="me@laptop.test")
    assert given.email.sender == "me@laptop.test"


def test_two_stages_declaring_one_identity_are_refused_before_the_second_deploy_fails() -> None:
    stages = _with_stage_settings("dev", email_sender=SENDER)
    stages = {**stages, "prod": {**stages["prod"], "email_sender": SENDER}}
    with pytest.raises(ContextError, match=f"both declare the SES identity {SENDER}"):
        _config(stage="prod", stages=stages)
    shared = {**stages, "prod": {**stages["prod"], "email_identity": "external"}}
    assert _config(stage="prod", stages=shared).email.owned_identity is None
    assert _config(stage="dev", stages=shared).email.owned_identity == SENDER


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"email_sender": "Shortener <no-reply@example.org>"}, "not a plain address"),
        ({"email_sender": "no-reply"}, "not a plain address"),
        ({"email_sender": SENDER, "email_identity": "both"}, "email_identity must be one of"),
    ],
)
def test_a_sender_ses_could_not_verify_is_refused(overrides: dict[str, str], says: str) -> None:
    with pytest.raises(ContextError, match=says):
        _config(**overrides)


def test_every_stage_setting_can_be_given_on_the_command_line() -> None:
    # `make synth CONTEXT="redirect_cache_ttl_seconds=120 retain_data=true"` reaches the CDK
    # app as strings, top-level keys that win over the stage's.
    config = _config(email_sender=SENDER, redirect_cache_ttl_seconds="120", retain_data="true")
    assert config.redirect_cache_ttl_seconds == 120
    assert config.retain_data is True
    assert config.throttle_rate_limit == 50


@pytest.mark.parametrize(
    ("identity", "declared"), [("address", SENDER), ("domain", "mail.example.org")]
)
def test_a_stage_declares_the_identity_its_settings_name(identity: str, declared: str) -> None:
    template = _sender_template(EmailSettings(SENDER, identity))
    identities = template.find_resources("AWS::SES::EmailIdentity")
    assert [r["Properties"]["EmailIdentity"] for r in identities.values()] == [declared]


def test_stages_sharing_an_identity_declare_none_and_may_send_as_it() -> None:
    template = _sender_template(EmailSettings(SENDER, "external"))
    assert template.find_resources("AWS::SES::EmailIdentity") == {}
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [part["Fn::Join"][1][-1] for part in statement["Resource"]]
    assert resources == [f":identity/{SENDER}", ":identity/mail.example.org"]


def _sender_template(settings: EmailSettings) -> Template:
    stack = Stack(App(), "Sender")
    sender = SenderIdentity(stack, "Sender", settings=settings)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    sender.grant_send_email(role)
    return Template.from_stack(stack)


def test_the_app_refuses_a_synth_without_sender_in_one_line() -> None:
    # What `make synth STAGE=prod` runs: the CDK CLI hands its `-c` options as CDK_CONTEXT_JSON.
    completed = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps({"stage": "prod"})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    last_line = completed.stderr.strip().splitlines()[-1]
    assert last_line.startswith("cannot synthesize: stage prod needs an email sender")
    assert "Traceback" not in completed.stderr
