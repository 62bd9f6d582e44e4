"""The operator CLI's discovery of a stack (its DLQs, their sources, the stack itself) and how
it turns failures into exit codes, against a stack deployed through moto's CloudFormation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from ops.discovery import kind_of
from tests.unit.ops_support import (
    CLICKS_DLQ,
    DELIVERY_DLQ,
    DELIVERY_QUEUE,
    IGNORE_SKIPPED_PIPE,
    PIPE_DLQ,
    QR_DLQ,
    QR_QUEUE,
    REGION,
    STACK,
    STATS_DLQ,
    World,
    link_event,
    run_ops,
)

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


# --- discovery ---------------------------------------------------------------------------------


def test_dlq_list_finds_every_dlq_with_its_source_and_depth(world: World) -> None:
    for code in ("aaa1111", "bbb2222"):
        world.publish(link_event(code))
    world.fail_all(QR_QUEUE)

    listed = run_ops("dlq", "list", "--json").json()

    by_name = {row["dlq"]: row for row in listed}
    assert set(by_name) == {
        world.queue_name(QR_DLQ),
        world.queue_name(STATS_DLQ),
        world.queue_name(DELIVERY_DLQ),
        world.queue_name(PIPE_DLQ),
        world.queue_name(CLICKS_DLQ),
    }
    qr = by_name[world.queue_name(QR_DLQ)]
    assert qr["source"] == world.queue_name(QR_QUEUE)
    assert qr["depth"] == 2
    assert qr["oldest_age_s"] is None  # moto has no SQS metrics: unknown, not read to estimate
    assert qr["alias"] == "qr-dlq"
    assert by_name[world.queue_name(STATS_DLQ)]["depth"] == 0
    assert by_name[world.queue_name(STATS_DLQ)]["oldest_age_s"] is None
    assert by_name[world.queue_name(DELIVERY_DLQ)]["source"] == world.queue_name(DELIVERY_QUEUE)
    assert by_name[world.queue_name(DELIVERY_DLQ)]["alias"] == "delivery-dlq"
    assert by_name[world.queue_name(PIPE_DLQ)]["source"] == "pipe"


def test_dlq_list_takes_the_age_from_cloudwatch_when_it_has_it(world: World) -> None:
    world.publish(link_event("old0001"))
    world.fail_all(QR_QUEUE)
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": world.queue_name(QR_DLQ)}],
                "Value": 4242,
                "Unit": "Seconds",
                "Timestamp": datetime.now(UTC) - timedelta(minutes=2),  # SQS reports a minute late
            }
        ],
    )

    listed = run_ops("dlq", "list", "--json").json()

    (qr,) = [row for row in listed if row["alias"] == "qr-dlq"]
    assert qr["oldest_age_s"] == 4242


def _receive_count_now(world: World, logical_id: str) -> int:
    """The message's ApproximateReceiveCount as a consumer's next receive would see it."""
    url = world.queue_url(logical_id)
    (message,) = world.sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    world.sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    return int(message["Attributes"]["ApproximateReceiveCount"])


def test_dlq_list_receives_nothing(world: World) -> None:
    world.publish(link_event("ccc3333"))
    world.fail_all(QR_QUEUE)
    before = _receive_count_now(world, QR_DLQ)

    run_ops("dlq", "list", "--json").json()
    run_ops("dlq", "list")

    assert _receive_count_now(world, QR_DLQ) == before + 1  # that is, this read only
    attributes = world.sqs.get_queue_attributes(
        QueueUrl=world.queue_url(QR_DLQ), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_dlq_list_says_unknown_for_an_age_it_cannot_know(world: World) -> None:
    world.publish(link_event("ddd4444"))
    world.fail_all(QR_QUEUE)

    ran = run_ops("dlq", "list")

    [qr_line] = [line for line in ran.stdout.splitlines() if "qr-dlq" in line]
    assert "unknown" in qr_line


def test_json_may_come_before_the_command(world: World) -> None:
    listed = run_ops("--json", "dlq", "list").json()

    assert {row["alias"] for row in listed} == {
        "qr-dlq",
        "stats-dlq",
        "delivery-dlq",
        "pipe-dlq",
        "clicks-dlq",
    }


def test_dlq_list_reads_as_a_table_without_json(world: World) -> None:
    ran = run_ops("dlq", "list")

    assert ran.code == 0
    assert "qr-dlq" in ran.stdout
    assert world.queue_name(QR_DLQ) in ran.stdout
    assert world.queue_name(QR_QUEUE) in ran.stdout


def test_an_unknown_queue_exits_2_and_names_the_valid_ones(world: World) -> None:
    ran = run_ops("dlq", "peek", "no-such-dlq")

    assert ran.code == 2
    assert "no-such-dlq" in ran.stderr
    assert "qr-dlq" in ran.stderr
    assert world.queue_name(QR_DLQ) in ran.stderr


def test_an_unknown_stack_exits_2(world: World) -> None:
    ran = run_ops("dlq", "list", "--stack", "Shortener-nope")

    assert ran.code == 2
    assert "Shortener-nope" in ran.stderr


def test_the_stack_comes_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHORTENER_STACK", "Shortener-elsewhere")

    assert run_ops("dlq", "list").code == 2
    assert run_ops("--stack", STACK, "dlq", "list").code == 0


def test_an_endpoint_that_is_down_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    ran = run_ops("dlq", "list")

    assert ran.code == 3
    assert "127.0.0.1:9" in ran.stderr


def test_a_loopback_endpoint_needs_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    ran = run_ops("dlq", "list")

    assert ran.code == 3  # it got as far as the (absent) endpoint: credentials were no obstacle


def test_no_credentials_for_real_aws_exits_4(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    ran = run_ops("dlq", "list")

    assert ran.code == 4
    assert "credentials" in ran.stderr


def test_access_denied_exits_4(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core.authorization import enable_iam_authentication

    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="cloudformation-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])

    with enable_iam_authentication():
        ran = run_ops("dlq", "list")

    assert ran.code == 4
    assert "denied" in ran.stderr.lower()


def test_usage_errors_exit_2() -> None:
    assert run_ops("dlq", "peek").code == 2
    assert run_ops("dlq", "redrive", "qr-dlq", "--rate", "0").code == 2
    assert run_ops("frobnicate").code == 2


def test_python_m_ops_runs_from_the_repository_root_without_setup() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    completed = subprocess.run(
        [sys.executable, "-m", "ops", "dlq", "redrive", "--help"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "--dry-run" in completed.stdout


def test_help_documents_the_exit_codes() -> None:
    ran = run_ops("--help")

    assert ran.code == 0
    for line in ("0 ", "1 ", "2 ", "3 ", "4 "):
        assert f"\n  {line}" in ran.stdout


@pytest.mark.parametrize(
    ("logical_id", "kind"),
    [
        ("QrDeadLetterQueue", "Qr"),
        ("PipeDeadLetterQueue", "Pipe"),
        ("DeliveryQueue", "Delivery"),
        # Unpinned, CDK adds the construct path and a hash: the last word that names one wins.
        ("SideEffectsWebhooksDeliveryDeadLetterQueue1A2B3C4D", "Delivery"),
        ("PipelineCdnQueueDEADBEEF", "Cdn"),
        ("LinksTable", None),
    ],
)
def test_what_a_queue_is_for_comes_from_its_logical_id(logical_id: str, kind: str | None) -> None:
    assert kind_of(logical_id) == kind
