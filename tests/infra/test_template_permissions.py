"""Least privilege: each function may do what its job needs, on its own resources, and no more."""

from __future__ import annotations

import pytest
from stack_template import StackTemplate

READ = {
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
}
WRITE = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
FUNCTIONS = (
    "authorizer",
    "api",
    "redirect",
    "enrich",
    "qr",
    "stats",
    "email",
    "webhook_dispatch",
    "webhook_deliver",
    "webhook_notice",
    "cdn",
)


def test_redirect_can_only_get_a_link_and_update_its_click_count(dev: StackTemplate) -> None:
    # UpdateItem: the one conditional update of a usage-limited link's count; no put, no delete.
    assert dev.actions_on("redirect", "LinksTable") == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    [update] = [s for s in dev.statements("redirect") if s["Action"] == "dynamodb:UpdateItem"]
    assert update["Condition"] == {
        "ForAllValues:StringEquals": {
            "dynamodb:Attributes": ["pk", "sk", "clicks_used", "max_clicks"]
        },
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]},
    }
    for table in ("KeysTable", "WebhooksTable", "IdempotencyTable"):
        assert dev.actions_on("redirect", table) == set()


def test_authorizer_only_reads_keys(dev: StackTemplate) -> None:
    assert dev.actions_on("authorizer", "KeysTable") == {"dynamodb:GetItem"}
    assert not dev.all_actions("authorizer") & WRITE
    for table in ("LinksTable", "WebhooksTable", "IdempotencyTable"):
        assert dev.actions_on("authorizer", table) == set()


def test_enrich_only_reads_the_short_url_parameter(dev: StackTemplate) -> None:
    assert not any(action.startswith("dynamodb:") for action in dev.all_actions("enrich"))
    ((statement,),) = [[s for s in dev.statements("enrich") if "ssm:GetParameter" in s["Action"]]]
    assert "parameter/shortener/dev/short-base-url" in str(statement["Resource"])


@pytest.mark.parametrize(
    ("function", "table", "writes"),
    [
        ("api", "LinksTable", True),
        ("api", "KeysTable", False),
        ("api", "WebhooksTable", True),
        ("api", "IdempotencyTable", True),
        ("qr", "LinksTable", True),
        ("qr", "IdempotencyTable", True),
        ("stats", "LinksTable", True),
        ("email", "KeysTable", False),
        ("email", "IdempotencyTable", True),
        ("webhook_dispatch", "WebhooksTable", True),
        ("webhook_deliver", "WebhooksTable", True),
        ("cdn", "LinksTable", True),
    ],
)
def test_table_access_matches_the_job(
    dev: StackTemplate, function: str, table: str, writes: bool
) -> None:
    actions = dev.actions_on(function, table)
    assert "dynamodb:GetItem" in actions
    assert bool(actions & WRITE) is writes


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_holds_wildcard_actions_or_a_managed_policy(
    dev: StackTemplate, function: str
) -> None:
    # statements() also asserts that the role carries no managed policy.
    for action in dev.all_actions(function):
        assert "*" not in action, f"{function} may {action}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_only_xray_is_granted_on_every_resource(dev: StackTemplate, function: str) -> None:
    for statement in dev.statements(function):
        if statement["Resource"] == "*":
            assert set(statement["Action"]) == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_qr_writes_and_deletes_images_and_no_other_function_touches_them(
    dev: StackTemplate,
) -> None:
    # The images are read by the CDN alone (origin access control), never presigned.
    assert dev.actions_on("qr", "QrBucket") == {"s3:PutObject", "s3:DeleteObject"}
    for function in set(FUNCTIONS) - {"qr"}:
        assert dev.actions_on(function, "QrBucket") == set()


def test_email_sends_only_from_its_identity(dev: StackTemplate) -> None:
    assert "ses:SendEmail" in dev.actions_on("email", "EmailSenderIdentity")
    assert "ses:SendEmail" in dev.actions_on("webhook_notice", "EmailSenderIdentity")
    for function in set(FUNCTIONS) - {"email", "webhook_notice"}:
        assert not any(a.startswith("ses:") for a in dev.all_actions(function))


def test_cdn_invalidates_only_its_distribution(dev: StackTemplate) -> None:
    assert dev.actions_on("cdn", "Distribution") == {"cloudfront:CreateInvalidation"}
    for function in set(FUNCTIONS) - {"cdn"}:
        assert "cloudfront:CreateInvalidation" not in dev.all_actions(function)


def test_dispatch_sends_deliveries_and_deliver_sends_retries_dead_letters_and_notices(
    dev: StackTemplate,
) -> None:
    assert "sqs:SendMessage" in dev.actions_on("webhook_dispatch", "DeliveryQueue")
    assert dev.actions_on("api", "DeliveryQueue") >= {"sqs:SendMessage"}  # test, resend, recover
    assert not any(a.startswith("sqs:Receive") for a in dev.actions_on("api", "DeliveryQueue"))
    deliver = dev.actions_on("webhook_deliver", "DeliveryQueue")
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"} <= deliver
    assert "sqs:SendMessage" in dev.actions_on("webhook_deliver", "DeliveryDeadLetterQueue")
    assert "sqs:SendMessage" in dev.actions_on("webhook_deliver", "WebhookNoticeQueue")
    assert not any(a.startswith("ses:") for a in dev.all_actions("webhook_deliver"))
    assert dev.actions_on("webhook_notice", "WebhooksTable") == set()
    notice_keys = dev.actions_on("webhook_notice", "KeysTable")
    assert "dynamodb:Query" in notice_keys
    assert not notice_keys & WRITE


def test_functions_may_write_only_their_own_logs(dev: StackTemplate) -> None:
    for function in FUNCTIONS:
        group = dev.function(function)["LoggingConfig"]["LogGroup"]["Ref"]
        log_statements = [
            s for s in dev.statements(function) if any(a.startswith("logs:") for a in s["Action"])
        ]
        assert log_statements == [
            {
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [group, "Arn"]},
            }
        ]
