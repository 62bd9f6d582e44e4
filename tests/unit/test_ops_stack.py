"""The operator CLI against a stack deployed through moto's CloudFormation, in process.

This module holds what every test_ops_* module shares (the stack, running the CLI, putting
messages where a failing consumer would leave them) and the tests of discovery itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ops.cli import main
from ops.discovery import kind_of
from shortener.clock import now_iso
from shortener.events import SOURCE, LinkEvent, LinkSnapshot
from shortener.models import bind_table_names

STACK = "Shortener-dev"
REGION = "us-east-1"
BUS = "shortener-dev"
ARCHIVE = "shortener-dev-links"
PIPE_DLQ = "PipeDeadLetterQueue"
# moto's CloudFormation says it skips the Pipe whenever it reads the template: we know.
IGNORE_SKIPPED_PIPE = pytest.mark.filterwarnings(
    "ignore:Tried to parse AWS..Pipes..Pipe:UserWarning"
)
pytestmark = IGNORE_SKIPPED_PIPE
# A failing consumer gives up after one try here, so a message reaches its DLQ in two receives.
MAX_RECEIVE_COUNT = 1


def _table(
    keys: list[tuple[str, str]], indexes: dict[str, list[tuple[str, str]]]
) -> dict[str, Any]:
    attributes = {name for name, _ in keys} | {name for key in indexes.values() for name, _ in key}
    properties: dict[str, Any] = {
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": name, "KeyType": kind} for name, kind in keys],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)
        ],
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": name, "KeyType": kind} for name, kind in key],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, key in indexes.items()
        ]
    return {"Type": "AWS::DynamoDB::Table", "Properties": properties}


def _queue_with_dlq(name: str) -> dict[str, Any]:
    """A consumer queue and its DLQ, with the logical ids the stack pins (`QrQueue` ...)."""
    dlq = f"{name}DeadLetterQueue"
    return {
        dlq: {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
        f"{name}Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 30,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                    "maxReceiveCount": MAX_RECEIVE_COUNT,
                },
            },
        },
    }


def template() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "LinksTable": _table(
            [("pk", "HASH"), ("sk", "RANGE")],
            {"by_owner": [("owner", "HASH"), ("created_at", "RANGE")]},
        ),
        "KeysTable": _table(
            [("key_hash", "HASH")],
            {
                "by_key_id": [("key_id", "HASH")],
                "by_owner": [("owner", "HASH"), ("created_at", "RANGE")],
            },
        ),
        "WebhooksTable": _table([("pk", "HASH"), ("sk", "RANGE")], {}),
        **_queue_with_dlq("Qr"),
        **_queue_with_dlq("Stats"),
        **_queue_with_dlq("Delivery"),
        PIPE_DLQ: {"Type": "AWS::SQS::Queue", "Properties": {}},
        "EventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": BUS}},
        "EventArchive": {
            "Type": "AWS::Events::Archive",
            "Properties": {
                "ArchiveName": ARCHIVE,
                "SourceArn": {"Fn::GetAtt": ["EventBus", "Arn"]},
                "RetentionDays": 7,
            },
        },
        # moto's CloudFormation skips Pipes: discovery must still find its DLQ from the template.
        "LinkEventsPipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/pipe",
                "Source": "arn:aws:dynamodb:us-east-1:123456789012:table/Links/stream/x",
                "Target": {"Fn::GetAtt": ["EventBus", "Arn"]},
                "SourceParameters": {
                    "DynamoDBStreamParameters": {
                        "StartingPosition": "LATEST",
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [PIPE_DLQ, "Arn"]}},
                    }
                },
            },
        },
    }
    for kind in ("Qr", "Stats"):
        resources[f"{kind}Rule"] = {
            "Type": "AWS::Events::Rule",
            "DependsOn": "EventBus",
            "Properties": {
                "Name": f"{BUS}-{kind.lower()}",
                "EventBusName": BUS,  # moto cannot resolve a Ref here
                "EventPattern": {"source": [SOURCE]},
                "Targets": [
                    {
                        "Arn": {"Fn::GetAtt": [f"{kind}Queue", "Arn"]},
                        "Id": "Target0",
                    }
                ],
            },
        }
    outputs = {
        "LinksTableName": {"Ref": "LinksTable"},
        "KeysTableName": {"Ref": "KeysTable"},
        "WebhooksTableName": {"Ref": "WebhooksTable"},
        "EventBusName": {"Value": BUS},
        "EventArchiveName": {"Value": ARCHIVE},
    }
    return {
        "Resources": resources,
        "Outputs": {
            key: value if "Value" in value else {"Value": value} for key, value in outputs.items()
        },
    }


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code == 0, self
        return json.loads(self.stdout)


def run_ops(*argv: str) -> Ran:
    """`python -m ops ARGV`, in process: its exit code and what it printed."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(argv))
    return Ran(code, stdout.getvalue(), stderr.getvalue())


def link_event(
    code: str, event_type: str = "link.created", event_id: str | None = None
) -> LinkEvent:
    stamp = now_iso()
    return LinkEvent(
        id=event_id or f"evt_{uuid.uuid4().hex}",
        type=event_type,  # type: ignore[arg-type]
        occurred_at=stamp,
        link=LinkSnapshot(
            code=code,
            url=f"https://example.com/{code}",
            owner="alice",
            short_url=f"https://sho.rt/{code}",
            created_at=stamp,
            updated_at=stamp,
        ),
    )


class World:
    """The deployed stack and the AWS clients a test uses to set the scene and check it."""

    def __init__(self) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template()))
        stack = self.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        resources = self.cloudformation.list_stack_resources(StackName=STACK)[
            "StackResourceSummaries"
        ]
        self.physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        bind_table_names(
            links=self.outputs["LinksTableName"],
            keys=self.outputs["KeysTableName"],
            webhooks=self.outputs["WebhooksTableName"],
        )

    def queue_url(self, logical_id: str) -> str:
        return self.physical[logical_id]

    def queue_name(self, logical_id: str) -> str:
        return self.queue_url(logical_id).rsplit("/", 1)[-1]

    def publish(self, event: LinkEvent) -> None:
        """Put a link event on the bus the way the Pipe does; the rules deliver it to queues."""
        response = self.events.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": event.type,
                    "Detail": event.model_dump_json(),
                    "EventBusName": BUS,
                }
            ]
        )
        assert response["FailedEntryCount"] == 0

    def fail_all(self, queue_logical_id: str) -> None:
        """Be a consumer that fails every message, until SQS has moved them all to the DLQ."""
        url = self.queue_url(queue_logical_id)
        for _ in range(10 * (MAX_RECEIVE_COUNT + 1)):
            if self.depth(queue_logical_id) == 0:
                return
            self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        raise AssertionError(f"{queue_logical_id} still holds messages")

    def send(self, queue_logical_id: str, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url(queue_logical_id), MessageBody=body)

    def depth(self, queue_logical_id: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url(queue_logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def bodies(self, queue_logical_id: str) -> list[dict[str, Any]]:
        """Every message body in a queue, consumed (for assertions at the end of a test)."""
        url = self.queue_url(queue_logical_id)
        found: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


QR_QUEUE = "QrQueue"
QR_DLQ = "QrDeadLetterQueue"
STATS_QUEUE = "StatsQueue"
STATS_DLQ = "StatsDeadLetterQueue"
DELIVERY_QUEUE = "DeliveryQueue"
DELIVERY_DLQ = "DeliveryDeadLetterQueue"


@contextlib.contextmanager
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh moto account with the stack deployed; the CLI finds it by its default name."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SHORTENER_STACK", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield World()


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with deployed(monkeypatch) as deployed_world:
        yield deployed_world


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
    }
    qr = by_name[world.queue_name(QR_DLQ)]
    assert qr["source"] == world.queue_name(QR_QUEUE)
    assert qr["depth"] == 2
    assert isinstance(qr["oldest_age_s"], int)
    assert qr["oldest_age_s"] >= 0
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


def test_dlq_list_sampling_for_the_age_leaves_messages_visible(world: World) -> None:
    world.publish(link_event("ccc3333"))
    world.fail_all(QR_QUEUE)

    run_ops("dlq", "list", "--json").json()

    attributes = world.sqs.get_queue_attributes(
        QueueUrl=world.queue_url(QR_DLQ), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_json_may_come_before_the_command(world: World) -> None:
    listed = run_ops("--json", "dlq", "list").json()

    assert {row["alias"] for row in listed} == {"qr-dlq", "stats-dlq", "delivery-dlq", "pipe-dlq"}


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
