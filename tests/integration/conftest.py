"""The local cloud the integration tests run on: the real app, synthesized with local context
once per session, served on free ports.

Fixtures: `local_cloud` (the started `localcloud.LocalCloud`), `api_url`, `cdn_url` (the
CloudFront distribution, where short links start), `aws_endpoint`,
`aws_client(service)` (boto3 against the moto endpoint) and `aws_environment` (the variables a
subprocess or in-process AWS client needs to reach it). Every test in this folder is marked
`integration`. The local cloud's logs (functions, API, pipes) go to `localcloud.log` in the
session's pytest temp folder, named when the session starts.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from localcloud import LocalCloud, SynthError, synthesize

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
WARM_UP_TIMEOUT_SECONDS = 180
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    # The ports are chosen before synthesis: the app bakes the CDN's into its short links (and
    # the API's into what it refuses as links back at itself).
    api_port, cdn_port = free_port(), free_port()
    out_dir = tmp_path_factory.mktemp("cdk-local-out")
    log_path = tmp_path_factory.getbasetemp() / "localcloud.log"
    print(f"\nlocal cloud logs: {log_path}")
    with log_path.open("w") as log:
        cloud = LocalCloud(out_dir, api_port=api_port, cdn_port=cdn_port, log_stream=log)
        # moto loads its services while the app synthesizes.
        cloud.start_aws()
        try:
            synthesize(REPO_ROOT, out_dir, api_port, cdn_port=cdn_port)
            cloud.start()
        except SynthError as error:
            cloud.stop()
            pytest.fail(str(error), pytrace=False)
        try:
            # First invocations are then as fast as the rest, and timing bounds hold.
            cloud.wait_warm(WARM_UP_TIMEOUT_SECONDS)
            yield cloud
        finally:
            cloud.stop()


@pytest.fixture(scope="session")
def api_url(local_cloud: LocalCloud) -> str:
    return local_cloud.api_url


@pytest.fixture(scope="session")
def cdn_url(local_cloud: LocalCloud) -> str:
    return local_cloud.cdn_url


@pytest.fixture(scope="session")
def aws_endpoint(local_cloud: LocalCloud) -> str:
    return local_cloud.aws_endpoint


@pytest.fixture(scope="session")
def aws_client(aws_endpoint: str) -> Callable[[str], Any]:
    """`aws_client("sqs")`: a boto3 client on the local cloud, without retries."""
    session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    config = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=aws_endpoint, config=config)
        return clients[service]

    return client


@pytest.fixture
def aws_environment(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process's AWS clients (and the subprocesses it starts) at the local cloud."""
    variables = {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables
