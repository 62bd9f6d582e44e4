"""Kinesis Data Streams, answered as Kinesis answers where moto does not.

A shard iterator names the stream it was issued for: GetRecords with the iterator alone reads
that stream (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html,
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html). moto writes the
stream's name into the iterator only when GetShardIterator was called with `StreamName`; called
with `StreamARN` (as a consumer re-reading an on-failure record's `streamArn` calls it), its
iterator names no stream and GetRecords fails. Here the iterator always names its stream.
"""

from __future__ import annotations

from typing import Any

from moto.kinesis.models import KinesisBackend

_original = KinesisBackend.get_shard_iterator


def _get_shard_iterator(
    self: KinesisBackend, stream_arn: str | None, stream_name: str | None, *args: Any
) -> str:
    if stream_name is None and stream_arn:
        stream_name = self.describe_stream(stream_arn=stream_arn, stream_name=None).stream_name
    return _original(self, stream_arn, stream_name, *args)


def name_streams_in_iterators() -> None:
    KinesisBackend.get_shard_iterator = _get_shard_iterator  # type: ignore[method-assign,assignment]


__all__ = ["name_streams_in_iterators"]
