"""moto's Kinesis as the local cloud serves it: a shard keeps what the stream's retention and
the count bound allow, the record after a position is read directly with the same answer, an
iterator got by stream ARN reads its stream, and Kinesis and Secrets Manager calls map to the
actions and resources IAM authorizes them as.

Here with the unit tests, not the local cloud's: `mock_aws` resets moto's process-wide backends
when it ends, which would wipe the data of a local cloud running in the same test process."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.kinesis.models import Shard

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations import kinesis, secretsmanager
from localcloud.iam.operations.request import ApiRequest
from localcloud.kinesis import name_streams_in_iterators
from localcloud.retention.kinesis import KEPT_RECORDS_PER_SHARD, trim_shard
from localcloud.speedups.kinesis import read_shards_directly

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"


def _shard(records: int, age_s: float = 0) -> Shard:
    shard = Shard(0, 0, 2**128)
    for n in range(records):
        shard.put_record("key", base64.b64encode(f"r{n}".encode()).decode(), "")
    for record in shard.records.values():
        record.created_at -= age_s
    return shard


def test_a_shard_drops_records_past_the_streams_retention() -> None:
    shard = _shard(3, age_s=25 * 3600)
    shard.put_record("key", base64.b64encode(b"new").decode(), "")

    assert trim_shard(shard, retention_hours=24) == 3
    assert [record.sequence_number for record in shard.records.values()] == [4]


def test_a_shard_keeps_at_most_its_bound_the_newest_first() -> None:
    shard = _shard(KEPT_RECORDS_PER_SHARD + 5)

    assert trim_shard(shard, retention_hours=24) == 5
    assert next(iter(shard.records)) == 6
    assert len(shard.records) == KEPT_RECORDS_PER_SHARD


def test_reading_directly_answers_as_moto_reads() -> None:
    shard = _shard(50)
    expected = [
        shard.get_records("10", 5),
        shard.get_records("0", None),
        shard.get_records("50", 5),
    ]
    read_shards_directly()
    answers = [shard.get_records("10", 5), shard.get_records("0", None), shard.get_records("50", 5)]
    for (records, position, _), (wanted, wanted_position, _) in zip(answers, expected, strict=True):
        assert [r.sequence_number for r in records] == [r.sequence_number for r in wanted]
        assert position == wanted_position
    trim_shard(shard, retention_hours=0)  # all but the newest go; a read from before still works
    assert [r.sequence_number for r in shard.get_records("3", 10)[0]] == [50]


@mock_aws
def test_an_iterator_got_by_stream_arn_reads_its_stream() -> None:
    name_streams_in_iterators()
    client = boto3.client("kinesis", region_name="us-east-1")
    client.create_stream(StreamName="clicks", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn = client.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    put = client.put_record(StreamARN=arn, Data=b"line", PartitionKey="k")
    iterator = client.get_shard_iterator(
        StreamARN=arn,
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]

    (record,) = client.get_records(ShardIterator=iterator)["Records"]  # no StreamARN given

    assert record["Data"] == b"line"


def _json_call(service: str, target: str, body: dict[str, Any]) -> ApiRequest:
    return ApiRequest(
        service=service,
        method="POST",
        path="/",
        query={},
        headers={"x-amz-target": target},
        body=json.dumps(body).encode(),
    )


@pytest.mark.parametrize(
    ("operation", "body", "resource"),
    [
        ("PutRecords", {"StreamARN": STREAM_ARN, "Records": []}, STREAM_ARN),
        ("GetShardIterator", {"StreamName": "clicks", "ShardId": "s"}, STREAM_ARN),
        ("ListStreams", {}, "*"),
        (
            "GetRecords",
            {"ShardIterator": base64.b64encode(b"clicks:shardId-000000000000:3").decode()},
            STREAM_ARN,
        ),
    ],
)
def test_kinesis_calls_are_authorized_on_their_stream(
    operation: str, body: dict[str, Any], resource: str
) -> None:
    request = _json_call("kinesis", f"Kinesis_20131202.{operation}", body)

    assert kinesis.authorizations(request) == [Authorization(f"kinesis:{operation}", resource)]


@mock_aws
def test_a_secret_is_authorized_on_its_full_arn_whether_named_by_name_or_arn() -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    arn = client.create_secret(Name="visitor", SecretString="s")["ARN"]

    for secret_id in ("visitor", arn):
        request = _json_call(
            "secretsmanager", "secretsmanager.GetSecretValue", {"SecretId": secret_id}
        )
        assert secretsmanager.authorizations(request) == [
            Authorization("secretsmanager:GetSecretValue", arn)
        ]
