"""moto's Kinesis: a shard's records for the stream's retention period, and at most
`KEPT_RECORDS_PER_SHARD` of them; no CloudWatch datum per put.

moto keeps every record ever put, and records an IncomingBytes and an IncomingRecords datum in
its CloudWatch backend for every put, forever: a CDN logging every request would grow both by
the request. Kinesis drops a record once it is older than the stream's retention period (24 hours
by default, up to 365 days)
(https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html): each put drops
the records past it, and past the count bound the oldest go first, as if the retention were
shorter (the start-up report says so). The stream metrics are what CloudWatch alarms would read,
and the local cloud evaluates no alarm.
"""

from __future__ import annotations

import time
from typing import Any

from moto.kinesis.models import KinesisBackend, Shard, Stream

KEPT_RECORDS_PER_SHARD = 10_000


def trim_shard(shard: Shard, retention_hours: float, now: float | None = None) -> int:
    """Drop the records past the retention period or the count bound; how many went. The
    newest record always stays: moto numbers the next record after it, and a shard's sequence
    numbers must only grow."""
    records = shard.records
    oldest_allowed = (now if now is not None else time.time()) - retention_hours * 3600
    dropped = 0
    while len(records) > 1:
        first = next(iter(records.values()))
        if len(records) <= KEPT_RECORDS_PER_SHARD and first.created_at >= oldest_allowed:
            break
        records.popitem(last=False)  # type: ignore[call-arg]
        dropped += 1
    return dropped


def bound_stream_records() -> None:
    original_put = Stream.put_record

    def put_record(self: Stream, *args: Any, **kwargs: Any) -> Any:
        answer = original_put(self, *args, **kwargs)
        shard_id = answer[1]
        trim_shard(self.shards[shard_id], self.retention_period_hours)
        return answer

    def no_stream_metrics(self: KinesisBackend, *args: Any, **kwargs: Any) -> None:
        return None

    Stream.put_record = put_record  # type: ignore[method-assign]
    KinesisBackend._send_stream_metrics = no_stream_metrics  # type: ignore[method-assign]
