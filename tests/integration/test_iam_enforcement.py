"""IAM as the local cloud enforces it, end to end: a copy of the synthesized template with one
grant removed (the QR consumer's s3:PutObject), served by `python -m localcloud --no-synth`,
makes the QR effect fail with AccessDenied, visible through the API, and its message ends in
the QR dead-letter queue. The template as synthesized is the rest of this folder's tests: with
IAM on, nothing there is denied.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from localcloud import LocalCloud
from tests.integration.conftest import CREDENTIALS, REGION, free_port
from tests.integration.helpers import (
    REPO_ROOT,
    Stack,
    make_owner,
    receive_all,
    wait_until,
)

START_TIMEOUT_SECONDS = 120
EFFECT_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 30
REMOVED_ACTION = "s3:PutObject"


@dataclass
class ServedCopy:
    api_url: str
    aws_endpoint: str
    stack_name: str
    log: Path

    def client(self, service: str) -> Any:
        session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
        config = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")
        return session.client(service, endpoint_url=self.aws_endpoint, config=config)


def without_grant(template: dict[str, Any], action: str) -> int:
    """Remove `action` from every identity policy statement of the template; how many had it."""
    removed = 0
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            if action in actions:
                statement["Action"] = [a for a in actions if a != action]
                removed += 1
    return removed


def copy_assembly(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """The cloud assembly with its template edited; the assets are linked, not copied."""
    target.mkdir()
    for entry in source.iterdir():
        if entry.name.endswith(".template.json"):
            template = json.loads(entry.read_text())
            edit(template)
            (target / entry.name).write_text(json.dumps(template))
        elif entry.is_dir():
            (target / entry.name).symlink_to(entry)
        else:
            shutil.copy(entry, target / entry.name)


@pytest.fixture(scope="module")
def served_without_qr_writes(
    local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedCopy]:
    folder = tmp_path_factory.mktemp("iam")
    copy = folder / "cdk.out"

    def remove_grant(template: dict[str, Any]) -> None:
        assert without_grant(template, REMOVED_ACTION) == 1, "one role may write QR images"

    copy_assembly(local_cloud.cdk_out_dir, copy, remove_grant)
    aws_port, api_port, cdn_port = free_port(), free_port(), free_port()
    log = folder / "localcloud.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "localcloud", "--no-synth", "--cdk-out", str(copy),
             "--aws-port", str(aws_port), "--api-port", str(api_port),
             "--cdn-port", str(cdn_port), "--project-dir", str(REPO_ROOT)],
            cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        wait_until(
            lambda: process.poll() is not None or "Serving after" in log.read_text(),
            START_TIMEOUT_SECONDS,
            what="the copy to serve",
        )
        assert process.poll() is None, log.read_text()
        yield ServedCopy(
            f"http://127.0.0.1:{api_port}",
            f"http://127.0.0.1:{aws_port}",
            local_cloud.stack_name,
            log,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(STOP_TIMEOUT_SECONDS)


def test_a_removed_grant_fails_its_effect_with_access_denied_and_dead_letters_the_message(
    served_without_qr_writes: ServedCopy,
) -> None:
    served = served_without_qr_writes
    stack = Stack.described(served.stack_name, served.client)
    qr_queue = stack.queue_url("QrQueue")
    # Failed receives come back after a second instead of minutes: maxReceiveCount stays.
    stack.sqs.set_queue_attributes(QueueUrl=qr_queue, Attributes={"VisibilityTimeout": "1"})
    owner = make_owner(served.api_url, served.aws_endpoint, "iam")

    code = owner.api.create_link("https://example.com/iam")["code"]

    qr = wait_until(
        lambda: (effect := owner.api.link(code)["effects"]["qr"])["last_error"] and effect,
        EFFECT_TIMEOUT_SECONDS,
        what="the QR effect to fail",
    )
    assert "AccessDenied" in qr["last_error"]
    assert REMOVED_ACTION in qr["last_error"]
    dead = wait_until(
        lambda: [m for m in receive_all(stack.sqs, stack.dlq_url("QrQueue")) if code in m["Body"]],
        EFFECT_TIMEOUT_SECONDS,
        what="the QR message in its dead-letter queue",
    )
    assert len(dead) == 1
    # The other consumers' roles still have their grants: their effects succeed.
    wait_until(
        lambda: owner.api.link(code)["effects"]["stats"]["state"] == "done",
        EFFECT_TIMEOUT_SECONDS,
        what="the stats effect, whose role lost nothing",
    )
    assert f"not authorized to perform: {REMOVED_ACTION}" in served.log.read_text()
