"""A failed batch read again from the stream, from Lambda's on-failure record of it.

When the clicks function gives up on a batch, Lambda sends the on-failure destination a record
that names the batch, not its data: `KinesisBatchInfo` with the shard, the first and last
sequence numbers and the stream ARN
(https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html). A redrive
of that DLQ to the replay queue brings the record back; the records themselves are read with
GetShardIterator (AT_SEQUENCE_NUMBER) and GetRecords until past the last sequence number
(https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html,
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html), as long as the
stream still retains them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shortener.aws_clients import client

GET_RECORDS_LIMIT = 1000
# GetRecords may answer empty pages before the data; a bound, never a loop without end.
MAX_EMPTY_PAGES = 20


class KinesisBatchInfo(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    stream_arn: str
    batch_size: int = 0


class KinesisOnFailureRecord(BaseModel):
    """What Lambda sends the on-failure destination of a Kinesis event source mapping."""

    model_config = ConfigDict(extra="ignore")

    batch: KinesisBatchInfo = Field(alias="KinesisBatchInfo")


def batch_records(batch: KinesisBatchInfo) -> Iterator[tuple[str, bytes]]:
    """(sequence number, data) of every record of the batch, in stream order."""
    kinesis = client("kinesis")
    iterator = kinesis.get_shard_iterator(
        StreamARN=batch.stream_arn,
        ShardId=batch.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=batch.start_sequence_number,
    )["ShardIterator"]
    last = int(batch.end_sequence_number)
    empty_pages = 0
    while iterator:
        page = kinesis.get_records(
            StreamARN=batch.stream_arn, ShardIterator=iterator, Limit=GET_RECORDS_LIMIT
        )
        for record in page["Records"]:
            if int(record["SequenceNumber"]) > last:
                return
            yield record["SequenceNumber"], record["Data"]
        if page["Records"]:
            empty_pages = 0
        else:
            empty_pages += 1
            # Caught up with the shard's tip, or a bound on empty pages: nothing more to read.
            if page.get("MillisBehindLatest") == 0 or empty_pages >= MAX_EMPTY_PAGES:
                return
        iterator = page.get("NextShardIterator")
