"""A local cloud of the small fixture stack (fixtures/mini), started once and shared by every
test here that needs one, and a boto3 client factory for its AWS side."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from localcloud import LocalCloud
from tests.localcloud.support import MINI


@pytest.fixture(scope="session")
def mini_cloud() -> Iterator[LocalCloud]:
    cloud = LocalCloud(MINI, log_stream=io.StringIO(), echo_logs=False)
    with cloud:
        assert cloud.wait_warm(120), "the fixture's functions did not warm up"
        yield cloud


@pytest.fixture(scope="session")
def mini_client(mini_cloud: LocalCloud) -> Callable[[str], Any]:
    session = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    config = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(
                service, endpoint_url=mini_cloud.aws_endpoint, config=config
            )
        return clients[service]

    return client
