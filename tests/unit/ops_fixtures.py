"""The operator CLI tests' fixture: `world`, a fresh moto account with the stack deployed.

Test modules load it with `pytest_plugins = ["tests.unit.ops_fixtures"]`; their helpers come from
`tests.unit.ops_support`. Plugin fixtures are global to the session: only the operator CLI's
tests use one called `world`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.unit.ops_support import REGION, World


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh moto account with the stack deployed; the CLI finds it by its default name."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SHORTENER_STACK", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield World()
