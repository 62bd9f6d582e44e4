"""moto's Kinesis shards, read without walking every record.

moto finds a shard's newest sequence number by listing all its keys (on every put), and answers
GetRecords by walking the shard from its oldest record to the first one after the iterator's
position (on every poll of every shard). A shard's records are numbered 1, 2, 3 ... as moto puts
them, so the record after position p is the key p + 1: each is looked up directly, in the same
order, with the same answer. A shard whose keys are not consecutive (moto re-puts records when it
splits or merges shards) is read the way moto reads it.
"""

from __future__ import annotations

from moto.kinesis.models import Record, Shard

_original_get_records = Shard.get_records


def _first(shard: Shard) -> int:
    return next(iter(shard.records)) if shard.records else 0


def _last(shard: Shard) -> int:
    return next(reversed(shard.records)) if shard.records else 0


def _get_records(
    self: Shard, last_sequence_id: str, limit: int | None
) -> tuple[list[Record], int, int]:
    records = self.records
    first, last = _first(self), _last(self)
    if not records or last - first + 1 != len(records):
        return _original_get_records(self, last_sequence_id, limit)
    position = int(last_sequence_id)
    start = max(position + 1, first)
    stop = last + 1 if limit is None else min(last + 1, start + limit)
    results = [records[number] for number in range(start, stop)]
    if not results:
        return [], position, 0
    behind = records[last].created_at - results[-1].created_at
    return results, results[-1].sequence_number, int(behind * 1000)


def read_shards_directly() -> None:
    Shard.get_min_sequence_number = _first  # type: ignore[method-assign,assignment]
    Shard.get_max_sequence_number = _last  # type: ignore[method-assign,assignment]
    Shard.get_records = _get_records  # type: ignore[method-assign]
