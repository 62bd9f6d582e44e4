"""moto's DynamoDB transactions: roll back the items written, not copies of whole tables.

To undo a cancelled `TransactWriteItems`, moto deep-copies every table the transaction names
before it starts, items, indexes and stream records included, and puts the copies back if it is
cancelled. That costs time in proportion to the table for every transaction (the local cloud
runs DynamoDB requests one at a time, so every other request waits for the copy too), and, with
moto's instance tracking, kept every copy alive.

DynamoDB's promise is narrower and cheaper to keep: a transaction's writes all happen or none
does, and a cancelled one leaves no stream record
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
So: before moto runs the transaction, copy the items it targets (at most 100) and note each
stream's length; if moto raises, put those items back and drop the stream records the attempt
added. moto's own whole-table copies become no-ops: within `moto.dynamodb.models`, a deep copy
of a `Table` returns the table itself (its only use there is this rollback).
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table


@dataclass
class _Written:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    before: Item | None


def _deepcopy_except_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _targets(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_Written]:
    written = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName", ""))
            if table is None or op_type == "ConditionCheck":
                continue
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if not isinstance(key, dict) or table.hash_key_attr not in key:
                continue  # moto refuses it before writing anything
            hash_key = DynamoType(key[table.hash_key_attr])
            range_attr = table.range_key_attr
            range_key = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
            if range_attr and range_key is None:
                continue
            before = table.get_item(hash_key, range_key)
            written.append(_Written(table, hash_key, range_key, copy.deepcopy(before)))
    return written


def _restore(written: list[_Written], stream_lengths: dict[int, int]) -> None:
    for entry in reversed(written):
        items = entry.table.items
        if entry.range_key is not None:
            if entry.before is None:
                items.get(entry.hash_key, {}).pop(entry.range_key, None)
            else:
                items[entry.hash_key][entry.range_key] = entry.before
        elif entry.before is None:
            items.pop(entry.hash_key, None)
        else:
            items[entry.hash_key] = entry.before  # type: ignore[assignment]
        shard = entry.table.stream_shard
        if shard is not None and id(shard) in stream_lengths:
            del shard.items[stream_lengths[id(shard)] :]


def _item_level_rollback(original: Callable[..., None]) -> Callable[..., None]:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        written = _targets(self, transact_items)
        shards = {id(w.table.stream_shard): w.table.stream_shard for w in written}
        lengths = {key: len(shard.items) for key, shard in shards.items() if shard is not None}
        try:
            original(self, transact_items)
        except Exception:
            _restore(written, lengths)
            raise

    return transact_write_items


def snapshot_written_items_only() -> None:
    without_table_copies = types.SimpleNamespace(deepcopy=_deepcopy_except_tables, copy=copy.copy)
    dynamodb_models.copy = without_table_copies  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = _item_level_rollback(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
