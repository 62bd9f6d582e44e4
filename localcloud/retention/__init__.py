"""What moto keeps that AWS does not, bounded so that a day-long `make run` stays the size of
its data: a session's memory must follow what it stores, not how many requests it served.

- `models`: moto records every model object it ever creates, for its dashboard; only live
  ones are kept (`/moto-api/data.json` still lists everything a backend holds).
- `dynamodb`: a transaction no longer deep-copies every table it names to roll back; it
  snapshots the items it writes, and restores them and the stream if it is cancelled.
- `sqs`: the receipt handles of deleted messages are kept for the most recent deletions only.
- `kinesis`: a shard keeps its records for the stream's retention period, and at most
  10,000 of them; puts leave no CloudWatch datum behind.

`bound_moto_retention()` applies all four, once per process, before moto serves a request.
"""

from __future__ import annotations

import threading

from localcloud.retention import dynamodb, kinesis, models, sqs

_applied = False
_lock = threading.Lock()


def bound_moto_retention() -> None:
    global _applied
    with _lock:
        if _applied:
            return
        models.track_live_instances_only()
        dynamodb.snapshot_written_items_only()
        sqs.bound_deleted_receipts()
        kinesis.bound_stream_records()
        _applied = True


__all__ = ["bound_moto_retention"]
