"""What the click-counting tests need beyond conftest's `aws`: the clicks function's environment
(log fields, a visitor secret in Secrets Manager), its handler and links to click on. A test
module uses them with `pytest_plugins = ["tests.unit.clicks_fixtures"]`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from shortener.clicks import consumer
from shortener.models import LinkModel
from tests.unit.clicks_events import LOG_FIELDS
from tests.unit.consumer_events import load_handler


@pytest.fixture
def click_environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The clicks function's environment: log fields and a visitor secret of the stage."""
    secret = boto3.client("secretsmanager").create_secret(
        Name="shortener/test/visitor-secret", SecretString="not-so-secret-test-value"
    )
    monkeypatch.setenv("CLICK_LOG_FIELDS", LOG_FIELDS)
    monkeypatch.setenv("VISITOR_SECRET_ARN", secret["ARN"])
    consumer.log_fields.cache_clear()
    yield
    consumer.log_fields.cache_clear()


@pytest.fixture
def link(aws: Any) -> Callable[..., LinkModel]:
    """link("abc1234", owner="alice"): a stored link to click on."""

    def make(code: str = "abc1234", *, owner: str = "alice") -> LinkModel:
        item = LinkModel(
            code,
            code=code,
            owner=owner,
            url="https://example.com/landing",
            created_at="2026-11-20T09:00:00.000000Z",
            updated_at="2026-11-20T09:00:00.000000Z",
        )
        item.save()
        return item

    return make


@pytest.fixture
def clicks_consumer(click_environment: None) -> Callable[..., dict[str, Any]]:
    """The clicks function's handler, as Lambda calls it."""
    return load_handler("clicks")
