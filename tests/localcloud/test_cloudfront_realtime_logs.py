"""CloudFront real-time logs, served: every request the CDN answers on a logged behaviour becomes
one record on the log config's Kinesis stream, in CloudFront's format, and a Kinesis event
source mapping hands the records to a function, bisecting failures to the on-failure DLQ.

The stack is the CDN fixture (fixtures/cdn) with a stream, a log config on its default
behaviour and a consumer (fixtures/clicks_consumer) added."""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloudfront.messages import Request, Response
from localcloud.cloudfront.realtime_logs import (
    FIELD_ORDER,
    RealtimeLogConfig,
    RealtimeLogSender,
    ServedRequest,
    log_record,
    log_text,
)
from localcloud.logs import LogSink
from tests.localcloud.support import eventually

FIXTURES = Path(__file__).parent / "fixtures"
STACK_NAME = "CdnClickLog"
# Named out of CloudFront's order on purpose: records carry them in the guide's order.
CONFIGURED_FIELDS = [
    "cs-uri-stem", "x-edge-request-id", "timestamp", "cs-user-agent", "cs-referer",
    "cs-uri-query", "x-edge-result-type", "sc-status", "cs-method", "c-country",
]  # fmt: skip
RECORD_FIELDS = sorted(CONFIGURED_FIELDS, key=FIELD_ORDER.index)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _fixture_template(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    stream = {"Fn::GetAtt": ["ClickStream", "Arn"]}
    resources["ClickStream"] = {
        "Type": "AWS::Kinesis::Stream",
        "Properties": {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
    }
    resources["LogWriterRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "write",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["kinesis:PutRecords", "kinesis:PutRecord"],
                                "Resource": stream,
                            }
                        ],
                    },
                }
            ],
        },
    }
    resources["ClickLog"] = {
        "Type": "AWS::CloudFront::RealtimeLogConfig",
        "Properties": {
            "Name": "click-log",
            "SamplingRate": 100,
            "Fields": CONFIGURED_FIELDS,
            "EndPoints": [
                {
                    "StreamType": "Kinesis",
                    "KinesisStreamConfig": {
                        "RoleArn": {"Fn::GetAtt": ["LogWriterRole", "Arn"]},
                        "StreamArn": stream,
                    },
                }
            ],
        },
    }
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    config["DefaultCacheBehavior"]["RealtimeLogConfigArn"] = {"Ref": "ClickLog"}
    resources["ResultsTable"] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    resources["FailedBatches"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    statements = [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:UpdateItem"],
            "Resource": {"Fn::GetAtt": ["ResultsTable", "Arn"]},
        },
        {
            "Effect": "Allow",
            "Action": [
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
                "kinesis:GetShardIterator",
                "kinesis:GetRecords",
            ],
            "Resource": stream,
        },
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
            "Resource": {"Fn::GetAtt": ["FailedBatches", "Arn"]},
        },
    ]
    resources["ConsumerRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": resources["OriginRole"]["Properties"][
                "AssumeRolePolicyDocument"
            ],
            "Policies": [
                {
                    "PolicyName": "consume",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }
    resources["ConsumerFunction"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {"S3Bucket": "assets", "S3Key": "clicks_consumer.zip"},
            "Handler": "handler.handler",
            "Runtime": "python3.13",
            "Role": {"Fn::GetAtt": ["ConsumerRole", "Arn"]},
            "Timeout": 10,
            "Environment": {
                "Variables": {
                    "RESULTS_TABLE": {"Ref": "ResultsTable"},
                    "REQUEST_ID_FIELD": str(RECORD_FIELDS.index("x-edge-request-id")),
                }
            },
        },
        "Metadata": {"aws:asset:path": "clicks_consumer", "aws:asset:property": "Code"},
    }
    resources["ClickMapping"] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "FunctionName": {"Ref": "ConsumerFunction"},
            "EventSourceArn": stream,
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 0,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 1,
            "MaximumRecordAgeInSeconds": 3600,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {
                "OnFailure": {"Destination": {"Fn::GetAtt": ["FailedBatches", "Arn"]}}
            },
        },
    }


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """As a stack of its own name: moto's backends outlive a local cloud, and the CDN fixture's
    distribution twice would clash in them."""
    assembly = tmp_path_factory.mktemp("realtime-logs") / "assembly"
    ignored = shutil.ignore_patterns("__pycache__")
    shutil.copytree(FIXTURES / "cdn", assembly, ignore=ignored)
    shutil.copytree(FIXTURES / "clicks_consumer", assembly / "clicks_consumer", ignore=ignored)
    manifest = json.loads((assembly / "manifest.json").read_text())
    artifact = manifest["artifacts"].pop("Cdn")
    artifact["properties"]["templateFile"] = f"{STACK_NAME}.template.json"
    artifact["displayName"] = STACK_NAME
    manifest["artifacts"][STACK_NAME] = artifact
    (assembly / "manifest.json").write_text(json.dumps(manifest))
    template = json.loads((assembly / "Cdn.template.json").read_text())
    _fixture_template(template)
    (assembly / f"{STACK_NAME}.template.json").write_text(json.dumps(template))
    with LocalCloud(assembly, log_stream=io.StringIO(), echo_logs=False) as local:
        assert local.wait_warm(60)
        yield local


def _aws(cloud: LocalCloud, service: str) -> Any:
    assert cloud.aws is not None
    return cloud.aws(service)


def _logged(cloud: LocalCloud, request_id: str) -> dict[str, Any] | None:
    table = cloud.physical_id("ResultsTable")
    item = _aws(cloud, "dynamodb").get_item(TableName=table, Key={"pk": {"S": request_id}})
    return item.get("Item")


def _fields(item: dict[str, Any]) -> dict[str, str]:
    values = item["text"]["S"].removesuffix("\n").split("\t")
    assert len(values) == len(RECORD_FIELDS)
    return dict(zip(RECORD_FIELDS, values, strict=True))


# -- the record format ---------------------------------------------------------------------


def _served(**changes: Any) -> ServedRequest:
    values: dict[str, Any] = {
        "request": Request(
            "GET",
            "/abc1234",
            "qr=1",
            [("Host", "d111.cloudfront.net"), ("User-Agent", SAFARI)],
            client_ip="192.0.2.10",
        ),
        "response": Response(302, [("Location", "https://example.com/")]),
        "request_id": "Z2k1YWJj",
        "result_type": "Hit",
        "path_pattern": "*",
        "log_config_arn": "arn",
        "distribution_id": "E123",
        "distribution_domain": "d111.cloudfront.net",
        "pop": "LCL1-C1",
        "seconds_taken": 0.0021,
        "finished_at": 1733050800.1234,
    }
    return ServedRequest(**{**values, **changes})


def test_a_record_is_the_fields_tab_separated_in_order_with_hyphens_for_missing_values() -> None:
    fields: tuple[str, ...] = ("timestamp", "c-ip", "sc-status", "cs-method", "cs-uri-stem")
    fields += ("x-edge-request-id", "cs-user-agent", "cs-referer", "cs-uri-query")
    fields += ("x-edge-result-type", "c-country", "time-taken")

    record = log_record(_served(), fields).decode()

    assert record.endswith("\n")
    assert record.removesuffix("\n").split("\t") == [
        "1733050800.123",
        "192.0.2.10",
        "302",
        "GET",
        "/abc1234?qr=1",
        "Z2k1YWJj",
        SAFARI.replace(" ", "%20"),
        "-",
        "qr=1",
        "Hit",
        "-",
        "0.002",
    ]


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ("curl/8.5.0", "curl/8.5.0"),
        ("a b\tc\nd", "a%20b%09c%0Ad"),
        ("<x>\"#%{}|\\^~[]`'", "%3Cx%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%27"),
        ("café", "caf%C3%A9"),
        ("", "-"),
        (None, "-"),
    ],
)
def test_text_fields_are_url_encoded_as_cloudfront_logs_encode_them(
    value: str | None, logged: str
) -> None:
    assert log_text(value) == logged


def test_a_full_buffer_drops_and_counts_instead_of_blocking_the_answer() -> None:
    config = RealtimeLogConfig("arn", "log", ("timestamp",), 100, "arn:stream/s", "")
    logs = LogSink(io.StringIO(), echo=False)
    sender = RealtimeLogSender(config, None, logs, "cdn", buffer_records=2)  # type: ignore[arg-type]
    for _ in range(5):
        sender.emit(_served())  # the sender is not started: nothing drains the buffer
    assert (sender.pending(), sender.dropped) == (2, 3)


# -- served: the CDN, the stream and the mapping ------------------------------------------------


@pytest.mark.integration
def test_every_answer_hits_and_misses_alike_is_one_record_in_cloudfronts_format(
    cloud: LocalCloud,
) -> None:
    path = f"/logged-{uuid.uuid4().hex[:8]}"
    headers = {"User-Agent": SAFARI, "Referer": "https://news.example/a b"}
    answers = [
        requests.get(cloud.cdn_url + path + "?qr=1", headers=headers, timeout=30) for _ in range(2)
    ]
    assert [a.headers["X-Cache"] for a in answers] == [
        "Miss from cloudfront",
        "Hit from cloudfront",
    ]

    for answer, result_type in zip(answers, ["Miss", "Hit"], strict=True):
        request_id = answer.headers["X-Amz-Cf-Id"]
        item = eventually(partial(_logged, cloud, request_id), 20, f"record {request_id}")
        assert item is not None
        assert item["count"]["N"] == "1"
        fields = _fields(item)
        assert fields["x-edge-request-id"] == request_id
        assert fields["x-edge-result-type"] == result_type
        assert fields["cs-method"] == "GET"
        assert fields["sc-status"] == "200"
        assert fields["cs-uri-stem"] == f"{path}?qr=1"
        assert fields["cs-uri-query"] == "qr=1"
        assert fields["cs-user-agent"] == SAFARI.replace(" ", "%20")
        assert fields["cs-referer"] == "https://news.example/a%20b"
        assert fields["c-country"] == "-"
        assert abs(float(fields["timestamp"]) - time.time()) < 300


@pytest.mark.integration
def test_a_failing_record_is_bisected_out_and_described_on_the_dead_letter_queue(
    cloud: LocalCloud,
) -> None:
    """The poison record fails each batch it is in: bisection isolates it (the others are
    processed), its retry is used up, and the DLQ gets where it is in the stream, not its data."""
    sqs, kinesis = _aws(cloud, "sqs"), _aws(cloud, "kinesis")
    dlq = cloud.physical_id("FailedBatches")
    run = uuid.uuid4().hex[:8]
    # Records spread over the stream's four shards (random partition keys): whichever batch
    # the poison record is in, bisection leaves it alone in the end.
    good = [requests.get(f"{cloud.cdn_url}/good-{run}-{i}", timeout=30) for i in range(6)]
    poison = requests.get(f"{cloud.cdn_url}/poison-{run}", timeout=30)
    for answer in good:
        request_id = answer.headers["X-Amz-Cf-Id"]
        eventually(partial(_logged, cloud, request_id), 20, f"good record {request_id}")

    def failure() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    (described,) = eventually(failure, 30, "the poison batch's description in the DLQ")
    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["requestContext"]["approximateInvokeCount"] >= 2
    assert described["responseContext"]["functionError"] == "Unhandled"
    info = described["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == cloud.provisioned["ClickStream"].outcome.attributes["Arn"]
    assert set(info) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }
    # What a redrive does: read the described record back from the stream.
    iterator = kinesis.get_shard_iterator(
        StreamARN=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    (record,) = kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"]
    assert poison.headers["X-Amz-Cf-Id"] in record["Data"].decode()
    assert _logged(cloud, poison.headers["X-Amz-Cf-Id"]) is None


@pytest.mark.integration
def test_the_log_writer_and_the_mapping_call_kinesis_under_their_roles(cloud: LocalCloud) -> None:
    report = "\n".join(cloud.report_lines)
    assert "real-time log click-log" in report
    assert "Kinesis shard readers" in report
    unchecked = [line for line in cloud.log_lines("iam") if "not checked" in line]
    assert not [line for line in unchecked if "kinesis" in line.lower()], unchecked


def test_kinesis_records_reach_the_function_as_lambda_shapes_them() -> None:
    from localcloud.lambda_.kinesis_event_sources import KinesisMappingConfig, kinesis_record

    config = KinesisMappingConfig(
        "M", "Fn", "fn", "arn:aws:kinesis:us-east-1:123456789012:stream/s", "TRIM_HORIZON",
        None, 10, 0, False, -1, -1, False, None, "arn:aws:iam::123456789012:role/r",
    )  # fmt: skip
    raw = {
        "Data": b"line\n",
        "PartitionKey": "pk",
        "SequenceNumber": "7",
        "ApproximateArrivalTimestamp": 1733050800.5,
    }
    assert kinesis_record(raw, "shardId-000000000001", config) == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "pk",
            "sequenceNumber": "7",
            "data": base64.b64encode(b"line\n").decode(),
            "approximateArrivalTimestamp": 1733050800.5,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000001:7",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
    }
