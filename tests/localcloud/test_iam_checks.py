"""IAM checked where AWS checks it, on the mini stack: a call made with a role session of the
template's FunctionRole is allowed or refused by that role's policies, refused the way the
service refuses (the SDK raises its ClientError), and EventBridge's sends to a queue are
allowed by the queue's policy only. `--no-iam` turns the checks off."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.iam import RoleSession
from tests.localcloud.support import MINI, eventually

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")


def role_client(endpoint: str, session: RoleSession) -> Callable[[str], Any]:
    boto = boto3.session.Session(region_name="us-east-1", **session.credentials())
    return lambda service: boto.client(service, endpoint_url=endpoint, config=CONFIG)


@pytest.fixture(scope="module")
def as_function_role(mini_cloud: LocalCloud) -> Callable[[str], Any]:
    """Clients signed like the EchoFunction's worker: FunctionRole's session."""
    role_arn = mini_cloud.provisioned["FunctionRole"].outcome.attributes["Arn"]
    session = mini_cloud._moto.iam.session(role_arn, mini_cloud.physical_id("EchoFunction"))
    return role_client(mini_cloud.aws_endpoint, session)


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return {
        **raised.value.response["Error"],
        "status": raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
    }


def test_a_call_the_role_allows_goes_through(
    mini_cloud: LocalCloud, as_function_role: Callable[[str], Any]
) -> None:
    table = mini_cloud.physical_id("ResultsTable")
    key = {"pk": {"S": uuid.uuid4().hex}}

    as_function_role("dynamodb").put_item(TableName=table, Item=key)

    assert as_function_role("dynamodb").get_item(TableName=table, Key=key)["Item"] == key


def test_a_call_no_policy_allows_is_access_denied_naming_action_and_resource(
    mini_cloud: LocalCloud,
    as_function_role: Callable[[str], Any],
    mini_client: Callable[[str], Any],
) -> None:
    table = mini_cloud.physical_id("ItemsTable")
    item = {"pk": {"S": uuid.uuid4().hex}, "sk": {"S": "item"}}

    error = error_of(lambda: as_function_role("dynamodb").put_item(TableName=table, Item=item))

    assert error["Code"] == "AccessDeniedException"
    assert error["status"] == 400
    assert error["Message"] == (
        f"User: arn:aws:sts::123456789012:assumed-role/{mini_cloud.physical_id('FunctionRole')}/"
        f"{mini_cloud.physical_id('EchoFunction')} is not authorized to perform: "
        f"dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{table} "
        "because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert "Item" not in mini_client("dynamodb").get_item(TableName=table, Key=item)


def test_an_explicit_deny_wins_inside_a_transaction(
    mini_cloud: LocalCloud,
    as_function_role: Callable[[str], Any],
    mini_client: Callable[[str], Any],
) -> None:
    table = mini_cloud.physical_id("ResultsTable")
    key = {"pk": {"S": uuid.uuid4().hex}}
    items = [
        {"Put": {"TableName": table, "Item": key}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "other"}}}},
    ]

    error = error_of(lambda: as_function_role("dynamodb").transact_write_items(TransactItems=items))

    assert error["Code"] == "AccessDeniedException"
    assert "dynamodb:DeleteItem" in error["Message"]
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")
    assert "Item" not in mini_client("dynamodb").get_item(TableName=table, Key=key)


def test_sqs_refuses_a_batch_send_as_access_denied_and_allows_it_where_granted(
    mini_cloud: LocalCloud,
    as_function_role: Callable[[str], Any],
    mini_client: Callable[[str], Any],
) -> None:
    entries = [{"Id": "1", "MessageBody": "hello"}]
    refused = mini_cloud.physical_id("PipeTargetQueue")
    granted = mini_cloud.physical_id("PipeDeadLetterQueue")

    error = error_of(
        lambda: as_function_role("sqs").send_message_batch(QueueUrl=refused, Entries=entries)
    )
    sent = as_function_role("sqs").send_message_batch(QueueUrl=granted, Entries=entries)

    assert error["Code"] == "AccessDenied"
    assert error["status"] == 403
    assert "sqs:SendMessage on resource: arn:aws:sqs:us-east-1:123456789012:" in error["Message"]
    assert [s["Id"] for s in sent["Successful"]] == ["1"]
    assert bodies(mini_client, granted) == ["hello"]


def test_the_test_credentials_are_the_administrator_and_are_not_checked(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> None:
    name = mini_cloud.physical_id("GreetingParameter")

    assert mini_client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "hello-us-east-1"


@pytest.fixture
def bus_event(mini_cloud: LocalCloud, mini_client: Callable[[str], Any]) -> Callable[[], str]:
    def put() -> str:
        marker = uuid.uuid4().hex
        mini_client("events").put_events(
            Entries=[
                {
                    "EventBusName": mini_cloud.physical_id("Bus"),
                    "Source": "mini.items",
                    "DetailType": "probe",
                    "Detail": json.dumps({"marker": marker}),
                }
            ]
        )
        return marker

    return put


def bodies(mini_client: Callable[[str], Any], queue_url: str) -> list[str]:
    """What the queue holds, taken out of it."""
    sqs = mini_client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [message["Body"] for message in messages]


@pytest.fixture
def queue_policy_without_the_rule(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any]
) -> Iterator[str]:
    sqs = mini_client("sqs")
    url = mini_cloud.physical_id("PipeTargetQueue")
    kept = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    policy = json.loads(kept)
    for statement in policy["Statement"]:
        statement["Condition"]["ArnEquals"]["aws:SourceArn"] += "-another-rule"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    yield url
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": kept})


def test_eventbridge_delivers_to_a_queue_whose_policy_allows_its_rule(
    mini_cloud: LocalCloud, bus_event: Callable[[], str], mini_client: Callable[[str], Any]
) -> None:
    url = mini_cloud.physical_id("PipeTargetQueue")

    marker = bus_event()

    assert any(marker in body for body in bodies(mini_client, url))


def test_eventbridge_drops_what_the_queue_policy_does_not_allow_and_says_so(
    mini_cloud: LocalCloud,
    mini_client: Callable[[str], Any],
    bus_event: Callable[[], str],
    queue_policy_without_the_rule: str,
) -> None:
    marker = bus_event()

    assert not any(marker in body for body in bodies(mini_client, queue_policy_without_the_rule))
    assert any(
        "does not allow events.amazonaws.com sqs:SendMessage" in line
        for line in mini_cloud.log_lines("iam")
    )


def test_the_startup_report_says_what_iam_checks(mini_cloud: LocalCloud) -> None:
    report = mini_cloud.report_lines
    first = next(index for index, line in enumerate(report) if line.startswith("IAM "))

    assert "EventBridge's sends to SQS against the queue policy" in report[first]
    assert "  checked  dynamodb: tables, indexes and streams" in report[first + 1]
    assert any(line.startswith("  not      other calls go through") for line in report)


@dataclass
class ServedMini:
    """A `python -m localcloud --no-synth` of the mini stack in a process of its own."""

    lines: list[str]
    endpoint: str
    resources: dict[str, str]  # logical id -> physical id, as CloudFormation lists them

    def admin(self, service: str) -> Any:
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=CONFIG)  # fmt: skip

    def as_role_of(self, function: str) -> Callable[[str], Any]:
        """Clients signed with that function's own role session, as its worker signs."""
        role_arn = f"arn:aws:iam::123456789012:role/{self.resources['FunctionRole']}"
        return role_client(self.endpoint, RoleSession(role_arn, self.resources[function]))


@contextmanager
def served_mini(assembly: Path, *options: str) -> Iterator[ServedMini]:
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "--no-synth", "--cdk-out", str(assembly),
         "--aws-port", "0", "--api-port", "0", "--cdn-port", "0", *options],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True).start()
    try:
        eventually(lambda: any("Serving after" in line for line in lines), 120, "serving")
        endpoint = next(line.split()[1] for line in lines if line.startswith("AWS "))
        served = ServedMini(lines, endpoint, {})
        listed = served.admin("cloudformation").describe_stack_resources(StackName="Mini")
        served.resources.update(
            {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed["StackResources"]}
        )
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)


def mini_without(tmp_path: Path, statement_sid: str) -> Path:
    """A copy of the mini assembly whose FunctionRole policy lacks one statement."""
    copy = tmp_path / "mini"
    copy.mkdir()
    for entry in MINI.iterdir():
        (copy / entry.name).symlink_to(entry)
    template_path = copy / "Mini.template.json"
    template = json.loads(template_path.read_text())
    template_path.unlink()
    document = template["Resources"]["FunctionRoleDefaultPolicy"]["Properties"]["PolicyDocument"]
    kept = [s for s in document["Statement"] if s.get("Sid") != statement_sid]
    assert len(kept) == len(document["Statement"]) - 1
    document["Statement"] = kept
    template_path.write_text(json.dumps(template))
    return copy


@pytest.mark.integration
def test_no_iam_turns_the_checks_off() -> None:
    with served_mini(MINI, "--no-iam") as served:
        as_echo = served.as_role_of("EchoFunction")
        table = served.resources["ItemsTable"]
        item = {"pk": {"S": "no-iam"}, "sk": {"S": "item"}}

        as_echo("dynamodb").put_item(TableName=table, Item=item)

        assert "IAM        off (--no-iam): no call is checked" in "".join(served.lines)
        assert "Item" in as_echo("dynamodb").get_item(TableName=table, Key=item)


@pytest.mark.integration
def test_a_pipe_whose_role_may_not_invoke_its_enrichment_dead_letters_the_batch(
    tmp_path: Path,
) -> None:
    with served_mini(mini_without(tmp_path, "Enrich")) as served:
        sqs = served.admin("sqs")
        dead_letters = served.resources["PipeDeadLetterQueue"]
        item = {"pk": {"S": uuid.uuid4().hex}, "sk": {"S": "item"}}

        served.admin("dynamodb").put_item(TableName=served.resources["ItemsTable"], Item=item)

        dead = eventually(
            lambda: sqs.receive_message(QueueUrl=dead_letters).get("Messages"),
            60,
            "the batch in the pipe's dead-letter queue",
        )
        assert json.loads(dead[0]["Body"])["DDBStreamBatchInfo"]["batchSize"] == 1
        output = "".join(served.lines)
        assert "not authorized to perform: lambda:InvokeFunction on resource: " in output
        assert served.resources["EnrichFunction"] in output


def test_a_queue_keeps_its_policy_when_another_attribute_changes(
    mini_cloud: LocalCloud, mini_client: Callable[[str], Any], bus_event: Callable[[], str]
) -> None:
    sqs = mini_client("sqs")
    url = mini_cloud.physical_id("PipeTargetQueue")
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})

    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"] == policy
    marker = bus_event()
    assert any(marker in body for body in bodies(mini_client, url))


def test_a_call_the_checks_cannot_read_gets_the_same_answer_as_without_them(
    mini_cloud: LocalCloud,
) -> None:
    role_arn = mini_cloud.provisioned["FunctionRole"].outcome.attributes["Arn"]
    session = mini_cloud._moto.iam.session(role_arn, mini_cloud.physical_id("EchoFunction"))

    def send(access_key_id: str) -> requests.Response:
        return requests.post(
            mini_cloud.aws_endpoint,
            data=json.dumps({"TransactItems": [{"Put": {"TableName": 5, "Item": {}}}]}),
            headers={
                "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key_id}/20261201/"
                "us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                "X-Amz-Target": "DynamoDB_20120810.TransactWriteItems",
                "Content-Type": "application/x-amz-json-1.0",
            },
            timeout=30,
        )

    as_role, as_admin = send(session.access_key_id), send("testing")

    assert as_role.status_code == as_admin.status_code == 400
    assert as_role.json()["__type"] == as_admin.json()["__type"]
