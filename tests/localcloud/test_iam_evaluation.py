"""The local cloud's IAM evaluator and request mapping, each against a request as the SDK puts
it on the wire (botocore serializes it; nothing is sent): what a call is authorized as, and
whether a role's policies allow it."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from localcloud.iam import Authorization, IamAuthority, RolePolicies, resource_policy_decision
from localcloud.iam.conditions import KNOWN_KEYS
from localcloud.iam.evaluation import Caller, identity_decision, request_context
from localcloud.iam.operations import ApiRequest, authorizations
from localcloud.iam.report import iam_lines

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/links"
QUEUE_URL = f"http://127.0.0.1:4566/{ACCOUNT}/qr"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:qr"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/QrRole/qr-function"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bus/qr"


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        self.request = request


def wire(service: str, operation: str, **params: Any) -> ApiRequest:
    """The request botocore would send for this call, as the local cloud's middleware sees it."""
    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id="ASIAEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )

    def capture(request: Any, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured) as captured:
        getattr(client, operation)(**params)
    request = captured.value.request
    url = urlsplit(request.url)
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
    environ = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": url.path,
        "QUERY_STRING": url.query,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": _text(request.headers.get("Content-Type", "")),
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{k.upper().replace('-', '_')}": _text(v) for k, v in request.headers.items()},
        "HTTP_HOST": url.netloc,
    }
    signing_name = client.meta.service_model.signing_name
    return ApiRequest.from_environ(signing_name, environ)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def needed(service: str, operation: str, **params: Any) -> list[Authorization] | None:
    return authorizations(wire(service, operation, **params), lambda identity: False)


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(statements: list[dict[str, Any]], action: str, resource: str) -> Any:
    document = {"Version": "2012-10-17", "Statement": statements}
    context = request_context(Caller(arn=SESSION))
    return identity_decision([document], Authorization(action, resource), context)


# --- what a call is authorized as ------------------------------------------------------------


def test_a_transaction_is_authorized_as_its_items_actions_on_their_tables() -> None:
    key = {"pk": {"S": "a"}}
    items = [
        {"Put": {"TableName": "links", "Item": key}},
        {"Update": {"TableName": "idem", "Key": key, "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "1"}}}},
        {"ConditionCheck": {"TableName": "keys", "Key": key, "ConditionExpression": "a = b"}},
        {"Delete": {"TableName": "links", "Key": key}},
    ]  # fmt: skip

    assert needed("dynamodb", "transact_write_items", TransactItems=items) == [
        Authorization("dynamodb:PutItem", TABLE),
        Authorization("dynamodb:UpdateItem", TABLE.replace("links", "idem")),
        Authorization("dynamodb:ConditionCheckItem", TABLE.replace("links", "keys")),
        Authorization("dynamodb:DeleteItem", TABLE),
    ]


def test_batches_and_index_queries_are_authorized_on_what_they_name() -> None:
    batch = needed("dynamodb", "batch_write_item", RequestItems={
        "links": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}],
        "idem": [{"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}],
    })  # fmt: skip
    query = needed("dynamodb", "query", TableName="links", IndexName="by_owner",
                   KeyConditionExpression="o = :o",
                   ExpressionAttributeValues={":o": {"S": "x"}})  # fmt: skip

    assert batch == [
        Authorization("dynamodb:BatchWriteItem", TABLE),
        Authorization("dynamodb:BatchWriteItem", TABLE.replace("links", "idem")),
    ]
    assert query == [Authorization("dynamodb:Query", f"{TABLE}/index/by_owner")]


def test_sqs_batch_calls_are_authorized_as_their_single_action_on_the_queue() -> None:
    sent = needed("sqs", "send_message_batch", QueueUrl=QUEUE_URL,
                  Entries=[{"Id": "1", "MessageBody": "x"}])  # fmt: skip
    deleted = needed("sqs", "delete_message_batch", QueueUrl=QUEUE_URL,
                     Entries=[{"Id": "1", "ReceiptHandle": "r"}])  # fmt: skip

    assert sent == [Authorization("sqs:SendMessage", QUEUE)]
    assert deleted == [Authorization("sqs:DeleteMessage", QUEUE)]


def test_s3_head_is_get_object_and_stream_reads_are_on_the_stream() -> None:
    stream = f"{TABLE}/stream/2026-12-01T00:00:00.000"

    head = needed("s3", "head_object", Bucket="qr", Key="codes/abc.png")
    records = needed("dynamodbstreams", "get_records", ShardIterator=f"{stream}|1|opaque")

    assert head == [Authorization("s3:GetObject", "arn:aws:s3:::qr/codes/abc.png")]
    assert records == [Authorization("dynamodb:GetRecords", stream)]


def test_an_sns_publish_is_authorized_on_its_topic() -> None:
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms"

    assert needed("sns", "publish", TopicArn=topic, Message="x") == [
        Authorization("sns:Publish", topic)
    ]


def test_an_unmapped_call_is_none_and_get_caller_identity_needs_nothing() -> None:
    assert needed("s3", "get_bucket_policy", Bucket="qr") is None
    assert needed("sts", "get_caller_identity") == []


# --- whether the role allows it --------------------------------------------------------------


def test_an_explicit_deny_wins_over_an_allow_and_no_allow_is_an_implicit_deny() -> None:
    policy = [allow("dynamodb:*", "*"), deny("dynamodb:DeleteItem", TABLE)]

    denied = decide(policy, "dynamodb:DeleteItem", TABLE)
    implicit = decide([allow("dynamodb:GetItem", TABLE)], "dynamodb:PutItem", TABLE)

    assert (denied.allowed, denied.explicit_deny) == (False, True)
    assert (implicit.allowed, implicit.explicit_deny) == (False, False)
    assert decide(policy, "dynamodb:PutItem", TABLE).allowed


def test_action_wildcards_match_case_insensitively_and_resources_by_segment() -> None:
    policy = [allow(["DynamoDB:get*", "sqs:?eceiveMessage"], [TABLE, f"{TABLE}/index/*"])]

    assert decide(policy, "dynamodb:GetItem", TABLE).allowed
    assert decide(policy, "dynamodb:Query", f"{TABLE}/index/by_owner").allowed is False
    assert decide(policy, "dynamodb:GetItem", f"{TABLE}/index/by_owner").allowed
    assert decide(policy, "sqs:ReceiveMessage", TABLE).allowed
    assert decide(policy, "dynamodb:GetItem", f"{TABLE}-old").allowed is False


def test_not_action_and_not_resource_apply_to_everything_else() -> None:
    policy = [
        {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::qr/*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::qr/*"},
    ]

    assert decide(policy, "s3:PutObject", "arn:aws:s3:::qr/a.png").allowed
    assert decide(policy, "s3:DeleteObject", "arn:aws:s3:::qr/a.png").allowed is False
    assert decide(policy, "s3:PutObject", "arn:aws:s3:::other/a.png").explicit_deny


def test_conditions_use_the_request_context_and_if_exists_and_null() -> None:
    principal = "arn:aws:iam::123456789012:role/QrRole"
    matching = allow(
        "s3:PutObject", "*", Condition={"StringEquals": {"aws:PrincipalArn": principal}}
    )
    other = allow("s3:PutObject", "*", Condition={"StringLike": {"aws:PrincipalArn": "*/Other*"}})
    if_exists = allow(
        "s3:PutObject", "*", Condition={"StringEqualsIfExists": {"aws:SourceArn": "x"}}
    )
    absent = allow("s3:PutObject", "*", Condition={"Null": {"aws:SourceArn": "true"}})
    tls = deny("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    expired = deny(
        "s3:*", "*", Condition={"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}
    )
    until = allow("s3:GetObject", "*", Condition={"DateLessThan": {"aws:EpochTime": "4102444800"}})

    assert decide([matching, tls, expired], "s3:PutObject", "arn:aws:s3:::qr/a").allowed
    assert decide([until], "s3:GetObject", "arn:aws:s3:::qr/a").allowed
    assert decide([other], "s3:PutObject", "arn:aws:s3:::qr/a").allowed is False
    assert decide([if_exists], "s3:PutObject", "arn:aws:s3:::qr/a").allowed
    assert decide([absent], "s3:PutObject", "arn:aws:s3:::qr/a").allowed


def test_a_condition_key_the_local_cloud_cannot_know_never_grants_and_always_denies() -> None:
    assert "dynamodb:leadingkeys" not in KNOWN_KEYS
    unknowable = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["owner-1"]}}

    allowed = decide(
        [allow("dynamodb:GetItem", TABLE, Condition=unknowable)], "dynamodb:GetItem", TABLE
    )
    denied = decide(
        [allow("dynamodb:*", "*"), deny("dynamodb:GetItem", TABLE, Condition=unknowable)],
        "dynamodb:GetItem",
        TABLE,
    )

    assert allowed.allowed is False
    assert allowed.unevaluated
    assert denied.explicit_deny


# --- resource-based policies -----------------------------------------------------------------


@pytest.fixture
def queue_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny("sqs:*", QUEUE, Principal={"AWS": "*"},
                 Condition={"Bool": {"aws:SecureTransport": "false"}}),
            allow("sqs:SendMessage", QUEUE, Principal={"Service": "events.amazonaws.com"},
                  Condition={"ArnEquals": {"aws:SourceArn": RULE}}),
        ],
    }  # fmt: skip


def test_a_queue_policy_lets_only_its_rule_send_through_eventbridge(
    queue_policy: dict[str, Any],
) -> None:
    def send(source_arn: str, service: str = "events.amazonaws.com") -> bool:
        return resource_policy_decision(
            queue_policy,
            action="sqs:SendMessage",
            resource=QUEUE,
            principal_service=service,
            context={"aws:SourceArn": source_arn},
        ).allowed

    assert send(RULE)
    assert not send(RULE.replace("/qr", "/stats"))
    assert not send(RULE, service="sns.amazonaws.com")
    assert not resource_policy_decision(None, action="sqs:SendMessage", resource=QUEUE).allowed


def test_the_startup_report_names_what_the_local_cloud_cannot_evaluate() -> None:
    document = {
        "Statement": [
            allow("dynamodb:GetItem", TABLE,
                  Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            allow(["dynamodb:GetItems", "s3:PutObject"], "*"),
        ]
    }  # fmt: skip
    role = RolePolicies("QrRole", "arn:aws:iam::123456789012:role/QrRole")
    role.documents.append(("QrRoleDefaultPolicy", document))
    role.unknown_managed.append("arn:aws:iam::aws:policy/NoSuchPolicy")
    authority = IamAuthority()
    authority.load({role.role_arn: role}, enabled=True, log=lambda message: None)

    lines = iam_lines(authority)

    assert (
        "  not      evaluated (a statement that needs it never allows, always denies): "
        "QrRoleDefaultPolicy: dynamodb:LeadingKeys" in lines
    )
    assert "  not      actions AWS defines (grant nothing): QrRole: dynamodb:GetItems" in lines
    assert (
        "  not      known managed policies (grant nothing): QrRole: "
        "arn:aws:iam::aws:policy/NoSuchPolicy" in lines
    )


def test_a_role_from_outside_the_template_is_not_checked_and_says_so() -> None:
    logged: list[str] = []
    authority = IamAuthority()
    authority.load({}, enabled=True, log=logged.append)
    session = authority.session("arn:aws:iam::123456789012:role/imported", "fn")

    denial = authority.denial(session, [Authorization("dynamodb:PutItem", TABLE)])

    assert denial is None
    assert logged == [
        "IAM not checked: iam role arn:aws:iam::123456789012:role/imported is not in the "
        "template by arn:aws:sts::123456789012:assumed-role/imported/fn"
    ]
