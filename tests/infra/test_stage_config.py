"""Stage settings from context, as `-c key=value` on the CDK command line would give them."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, RemovalPolicy, Stack

import infra.layers
from infra.config import StageConfig, load_cdk_context
from infra.layers import SharedLayers


def _config(**overrides: object) -> StageConfig:
    return StageConfig.from_node(App(context=load_cdk_context(overrides)).node)


def test_default_is_the_dev_stage_from_cdk_json() -> None:
    config = _config()
    assert config.stage == "dev"
    assert config.stack_name == "Shortener-dev"
    assert config.local is False
    assert config.allow_loopback_webhooks == "false"
    assert config.webhook_retry_delays_seconds == (30, 120, 600, 3600, 21600)
    assert config.removal_policy == RemovalPolicy.DESTROY
    assert config.email_sender == "no-reply@example.com"


def test_prod_retains_data_and_keeps_logs_longer() -> None:
    config = _config(stage="prod")
    assert config.stack_name == "Shortener-prod"
    assert config.retain_data is True
    assert config.removal_policy == RemovalPolicy.RETAIN
    assert config.log_retention_days == 90
    assert config.redirect_cache_ttl_seconds == 300


def test_local_synthesis_uses_the_short_retry_schedule_and_given_base_url() -> None:
    # The CLI passes `-c local=true` as a string.
    config = _config(local="true", short_base_url="http://127.0.0.1:3000/")
    assert config.local is True
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
        _config(stages=stages)


def test_missing_dependencies_layer_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(infra.layers, "DEPENDENCIES_DIR", tmp_path / "layer-deps")
    with pytest.raises(FileNotFoundError, match="make layer"):
        SharedLayers(Stack(App(), "Test"), "Layers")
