"""The click pipeline's transport: every redirect CloudFront answers is logged to a Kinesis
stream that the clicks consumer reads, and a batch it gives up on waits in a DLQ, redrivable."""

from __future__ import annotations

import pytest
from stack_template import StackTemplate

from infra.clicks import REALTIME_LOG_FIELDS, STREAM_RETENTION
from infra.queues import DEAD_LETTER_RETENTION

STREAM = {"Fn::GetAtt": ["ClicksStream", "Arn"]}
DLQ = {"Fn::GetAtt": ["ClicksDeadLetterQueue", "Arn"]}
# The guide's field list, in its order: CloudFront writes every record's fields in this order.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
DOCUMENTED_ORDER = (
    "timestamp", "c-ip", "time-to-first-byte", "sc-status", "sc-bytes", "cs-method",
    "cs-protocol", "cs-host", "cs-uri-stem", "cs-bytes", "x-edge-location", "x-edge-request-id",
    "x-host-header", "time-taken", "cs-protocol-version", "c-ip-version", "cs-user-agent",
    "cs-referer", "cs-cookie", "cs-uri-query", "x-edge-response-result-type", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-result-type", "fle-encrypted-fields", "fle-status",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end", "c-port",
    "x-edge-detailed-result-type", "c-country",
)  # fmt: skip


def _mapping(dev: StackTemplate, source: str) -> dict:
    (mapping,) = [
        r["Properties"]
        for r in dev.of_type("AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [source, "Arn"]}
    ]
    return mapping


def test_every_redirect_is_logged_in_full_to_the_stream(dev: StackTemplate) -> None:
    config = dev.props("ClicksRealtimeLogConfig")
    assert config["SamplingRate"] == 100
    (endpoint,) = config["EndPoints"]
    assert endpoint["StreamType"] == "Kinesis"
    assert endpoint["KinesisStreamConfig"]["StreamArn"] == STREAM
    behavior = dev.props("Distribution")["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["RealtimeLogConfigArn"] == {"Ref": "ClicksRealtimeLogConfig"}


def test_log_fields_are_the_consumers_in_the_order_records_carry_them(
    dev: StackTemplate,
) -> None:
    fields = dev.props("ClicksRealtimeLogConfig")["Fields"]
    assert fields == list(REALTIME_LOG_FIELDS)
    assert fields == sorted(fields, key=DOCUMENTED_ORDER.index)
    needed = {"timestamp", "x-edge-request-id", "c-ip", "c-country", "cs-method", "cs-host"}
    needed |= {"cs-uri-stem", "cs-uri-query", "sc-status", "cs-user-agent", "cs-referer"}
    assert needed | {"x-edge-result-type"} <= set(fields)
    variables = dev.function("clicks")["Environment"]["Variables"]
    assert variables["CLICK_LOG_FIELDS"] == ",".join(fields)


def test_cloudfront_may_only_write_to_the_stream(dev: StackTemplate) -> None:
    role_arn = dev.props("ClicksRealtimeLogConfig")["EndPoints"][0]["KinesisStreamConfig"]
    role = role_arn["RoleArn"]["Fn::GetAtt"][0]
    trust = dev.props(role)["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "cloudfront.amazonaws.com"}]
    statements = [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert [s["Resource"] for s in statements] == [STREAM]
    assert set(statements[0]["Action"]) == {
        "kinesis:DescribeStreamSummary",
        "kinesis:DescribeStream",
        "kinesis:PutRecord",
        "kinesis:PutRecords",
    }


def test_stream_is_on_demand_encrypted_and_outlives_the_dead_letter_queue(
    dev: StackTemplate,
) -> None:
    stream = dev.props("ClicksStream")
    assert stream["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert stream["StreamEncryption"]["EncryptionType"] == "KMS"
    # A redrive re-reads the records a DLQ message describes: they must still be there.
    hours = stream["RetentionPeriodHours"]
    assert hours == STREAM_RETENTION.to_hours()
    assert hours * 3600 >= DEAD_LETTER_RETENTION.to_seconds() + 6 * 3600


def test_stream_mapping_bisects_retries_boundedly_and_dead_letters(dev: StackTemplate) -> None:
    mapping = _mapping(dev, "ClicksStream")
    assert mapping["FunctionName"] == {"Ref": "ClicksFunction"}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == 100
    assert mapping["MaximumBatchingWindowInSeconds"] == 1
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": DLQ}}


def test_dead_letter_queue_redrives_into_a_replay_queue_the_consumer_reads(
    dev: StackTemplate,
) -> None:
    replay = dev.props("ClicksReplayQueue")
    assert replay["RedrivePolicy"] == {"deadLetterTargetArn": DLQ, "maxReceiveCount": 5}
    mapping = _mapping(dev, "ClicksReplayQueue")
    assert mapping["FunctionName"] == {"Ref": "ClicksFunction"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    timeout = dev.function("clicks")["Timeout"]
    assert replay["VisibilityTimeout"] == 6 * timeout


def test_consumer_gets_its_tables_secret_and_settings(dev: StackTemplate) -> None:
    variables = dev.function("clicks")["Environment"]["Variables"]
    assert variables["CLICKS_TABLE_NAME"] == {"Ref": "ClicksTable"}
    assert variables["LINKS_TABLE_NAME"] == {"Ref": "LinksTable"}
    assert variables["VISITOR_SECRET_ARN"] == {"Ref": "VisitorSecret"}
    assert variables["CLICK_RETENTION_DAYS"] == "400"
    assert dev.actions_on("clicks", "VisitorSecret") == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    assert "dynamodb:PutItem" not in dev.actions_on("clicks", "LinksTable")
    assert {"dynamodb:UpdateItem", "dynamodb:PutItem"} <= dev.actions_on("clicks", "ClicksTable")


def test_consumer_reads_the_stream_and_writes_only_its_dead_letters(dev: StackTemplate) -> None:
    on_stream = dev.actions_on("clicks", "ClicksStream")
    # The redrive's re-read: an iterator at the start sequence number, records to the end.
    assert {"kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:DescribeStream"} <= (
        on_stream
    )
    assert not {"kinesis:PutRecord", "kinesis:PutRecords"} & on_stream
    assert "sqs:SendMessage" in dev.actions_on("clicks", "ClicksDeadLetterQueue")
    assert "sqs:SendMessage" not in dev.actions_on("clicks", "ClicksReplayQueue")


def test_visitor_secret_is_generated_per_stage(dev: StackTemplate, prod: StackTemplate) -> None:
    for synth in (dev, prod):
        generated = synth.props("VisitorSecret")["GenerateSecretString"]
        assert generated["PasswordLength"] >= 32
        assert "SecretString" not in synth.props("VisitorSecret")
    assert dev.resources["VisitorSecret"]["DeletionPolicy"] == "Delete"
    assert prod.resources["VisitorSecret"]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("what", ["ClicksIteratorAge", "ClicksDlqDepth", "ClicksErrors"])
def test_click_alarms_exist(dev: StackTemplate, what: str) -> None:
    names = {
        alarm["Properties"]["AlarmName"] for alarm in dev.of_type("AWS::CloudWatch::Alarm").values()
    }
    assert f"Shortener-dev-{what}" in names
