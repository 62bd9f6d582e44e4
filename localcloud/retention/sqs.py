"""moto's SQS: the receipt handles of deleted messages, for the most recent deletions only.

moto remembers every receipt handle of every message ever deleted from a queue (a set that only
grows), so that deleting a message twice succeeds. SQS documents that a `DeleteMessage` with an
outdated receipt handle succeeds
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html);
what matters for that is the handles of messages deleted lately, since a consumer deletes what it
has just received (a handle older than the queue's visibility timeout, at most 12 hours, is
stale anyway). Each queue keeps the handles of its last `KEPT_RECEIPTS` deletions.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from moto.sqs.models import Queue

KEPT_RECEIPTS = 10_000


class RecentReceipts:
    """The set operations moto uses on `Queue.deleted_messages`, over the newest handles."""

    def __init__(self, limit: int = KEPT_RECEIPTS) -> None:
        self._limit = limit
        self._handles: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, handle: object) -> bool:
        return handle in self._handles

    def add(self, handle: str) -> None:
        self._handles[handle] = None
        self._handles.move_to_end(handle)
        while len(self._handles) > self._limit:
            self._handles.popitem(last=False)

    def update(self, handles: Iterable[str | None]) -> None:
        for handle in handles:
            if handle is not None:
                self.add(handle)

    def discard(self, handle: str) -> None:
        self._handles.pop(handle, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._handles))

    def __len__(self) -> int:
        return len(self._handles)


def bound_deleted_receipts() -> None:
    original_init = Queue.__init__

    def init(self: Queue, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.deleted_messages = RecentReceipts()  # type: ignore[assignment]

    Queue.__init__ = init  # type: ignore[method-assign]
