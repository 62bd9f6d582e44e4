"""moto's DynamoDB queries on a table's own key: the items of that partition, not the table.

For a `Query` on the table itself (no index), moto lists every item of the table, sorts them
all, and only then keeps those of the asked partition key: each query costs O(n log n) in the
size of the table, so a session got slower with every link it stored (the soak's pipeline
drained each wave more slowly than the one before). DynamoDB reads one partition
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.html); moto keeps a
table's items by partition key already, so a base-table query here reads just that partition,
in the same order. Queries on an index keep moto's way (they need every item).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_INDEX_NAME_POSITION = 6  # Table.query(hash_key, range_comparison, ..., index_name, ...)
_partition: ContextVar[DynamoType | None] = ContextVar("queried_partition", default=None)
_original_query = Table.query
_original_all_items = Table.all_items


def _sort_key(item: Item) -> Any:
    return (item.hash_key, item.range_key) if item.range_key else item.hash_key


def _all_items(self: Table) -> list[Item]:
    partition = _partition.get()
    if partition is None:
        return _original_all_items(self)
    found: Any = self.items.get(partition)
    if found is None:
        return []
    items = list(found.values()) if self.range_key_attr else [found]
    return sorted(items, key=_sort_key)


def _query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name")
    if index_name is None and len(args) > _INDEX_NAME_POSITION:
        index_name = args[_INDEX_NAME_POSITION]
    if index_name or hash_key is None:
        return _original_query(self, hash_key, *args, **kwargs)
    token = _partition.set(hash_key)
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        _partition.reset(token)


def query_one_partition() -> None:
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
