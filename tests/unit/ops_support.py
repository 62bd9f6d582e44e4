"""What every test_ops_* module shares: the stack as moto's CloudFormation deploys it, the
`World` a test sets the scene in, running the CLI in process, and link events.

The `world` fixture that deploys it lives in `ops_fixtures` (load it with
`pytest_plugins = ["tests.unit.ops_fixtures"]`); test modules mark themselves
`pytestmark = IGNORE_SKIPPED_PIPE`.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from ops.cli import main
from shortener.clock import now_iso
from shortener.events import SOURCE, LinkEvent, LinkSnapshot
from shortener.models import WebhookDeliveryModel, bind_table_names

STACK = "Shortener-dev"
REGION = "us-east-1"
BUS = "shortener-dev"
ARCHIVE = "shortener-dev-links"
PIPE_DLQ = "PipeDeadLetterQueue"
CLICKS_DLQ = "ClicksDeadLetterQueue"
CLICKS_REPLAY_QUEUE = "ClicksReplayQueue"
# moto's CloudFormation says it skips the Pipe whenever it reads the template: we know.
IGNORE_SKIPPED_PIPE = pytest.mark.filterwarnings(
    "ignore:Tried to parse AWS..Pipes..Pipe:UserWarning"
)
# A failing consumer gives up after one try here, so a message reaches its DLQ in two receives.
MAX_RECEIVE_COUNT = 1

DEAD_DELIVERY_ENDPOINT = "ep_0123456789abcdef"
# cdk.json's built-in plans: (rate, burst, quota per day).
PLANS = {"free": (10, 20, 10_000), "pro": (100, 200, 1_000_000)}
# No API runs in this world: its short base URL is a port where nothing listens (discard).
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"


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


def template(usage_plans: dict[str, str] | None = None) -> dict[str, Any]:
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
        # The clicks DLQ is the on-failure destination of a Kinesis mapping, and the redrive DLQ
        # of the replay queue the clicks function also reads: redrives go there.
        CLICKS_DLQ: {"Type": "AWS::SQS::Queue", "Properties": {}},
        CLICKS_REPLAY_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [CLICKS_DLQ, "Arn"]},
                    "maxReceiveCount": MAX_RECEIVE_COUNT,
                }
            },
        },
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
        "ShortBaseUrl": {"Value": UNREACHABLE_BASE_URL},
        # moto's CloudFormation makes no usage plans: the World makes them, the stack names them.
        "UsagePlans": {"Value": json.dumps(usage_plans or {})},
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
        self.apigateway = boto3.client("apigateway", region_name=REGION)
        self.usage_plans = {
            name: self.apigateway.create_usage_plan(
                name=f"shortener-dev-{name}",
                throttle={"rateLimit": rate, "burstLimit": burst},
                quota={"limit": quota, "period": "DAY"},
            )["id"]
            for name, (rate, burst, quota) in PLANS.items()
        }
        self.cloudformation.create_stack(
            StackName=STACK, TemplateBody=json.dumps(template(self.usage_plans))
        )
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


def dead_lettered_delivery(
    world: World, code: str, delivery_id: str, *, status: int, last_error: str | None
) -> LinkEvent:
    """A webhook delivery that failed its last try, logged and waiting in the delivery DLQ."""
    event = link_event(code)
    stamp = now_iso()
    WebhookDeliveryModel(
        WebhookDeliveryModel.partition_key(DEAD_DELIVERY_ENDPOINT),
        WebhookDeliveryModel.sort_key(delivery_id),
        delivery_id=delivery_id,
        event_id=event.id,
        event_type=event.type,
        code=code,
        attempts=4,
        last_status_code=status,
        last_error=last_error,
        state="failed",
        created_at=stamp,
        updated_at=stamp,
    ).save()
    delivery = {
        "delivery_id": delivery_id,
        "endpoint_id": DEAD_DELIVERY_ENDPOINT,
        "owner": "alice",
        "event": event.model_dump(mode="json"),
    }
    world.send(DELIVERY_QUEUE, json.dumps(delivery))
    world.fail_all(DELIVERY_QUEUE)
    return event
