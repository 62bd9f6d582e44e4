"""Reading a queue without consuming it: received messages stay hidden only while the command
holds them, and every one not deleted is made visible again (visibility 0) when it lets go.

If the command dies, SQS makes them visible again by itself once the hold runs out: reading
can delay a message, never lose one.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

SQS_BATCH = 10
PEEK_HOLD_SECONDS = 30  # long enough to gather a page of messages, short if we are killed
WORK_HOLD_SECONDS = 300  # a redrive or an export holds what it skipped until it ends
LONG_POLL_SECONDS = 1  # asks every SQS server, so "nothing came back" means "nothing there"

Message = dict[str, Any]


def _chunks(items: list[Message], size: int = SQS_BATCH) -> Iterator[list[Message]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class HeldMessages:
    """The messages this command received from one queue and has not yet let go of."""

    def __init__(self, sqs: Any, queue_url: str, hold_seconds: int = PEEK_HOLD_SECONDS) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._hold_seconds = hold_seconds
        self._held: dict[str, str] = {}  # message id → its latest receipt handle

    def __enter__(self) -> HeldMessages:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release_all()

    def receive(self, max_messages: int = SQS_BATCH, wait_seconds: int = 0) -> list[Message]:
        """Messages this reader has not seen yet (one seen again only refreshes its handle)."""
        response = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=max(1, min(SQS_BATCH, max_messages)),
            VisibilityTimeout=self._hold_seconds,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        fresh = []
        for message in response.get("Messages", []):
            if message["MessageId"] not in self._held:
                fresh.append(message)
            self._held[message["MessageId"]] = message["ReceiptHandle"]
        return fresh

    def drain(self, *, limit: int | None = None, expected: int = 0) -> Iterator[list[Message]]:
        """Batches of new messages until the queue has none left to give or `limit` is reached.

        Until `expected` messages (the queue's depth when we started) have come back, an empty
        answer is double-checked with a long poll; after that a quick one suffices.
        """
        count = 0
        while limit is None or count < limit:
            want = SQS_BATCH if limit is None else min(SQS_BATCH, limit - count)
            batch = self.receive(want, wait_seconds=LONG_POLL_SECONDS if count < expected else 0)
            if not batch:
                return
            count += len(batch)
            yield batch

    def release_all(self) -> None:
        """Make every held message visible again now, for consumers and other readers."""
        handles, self._held = self._held, {}
        entries = [
            {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for index, handle in enumerate(handles.values())
        ]
        for chunk in _chunks(entries):
            # A failed entry (its handle expired) is visible again already.
            self._sqs.change_message_visibility_batch(QueueUrl=self._url, Entries=chunk)

    def delete(self, messages: list[Message]) -> list[Message]:
        """Delete messages for good; returns those SQS did not delete."""
        not_deleted: list[Message] = []
        for chunk in _chunks(messages):
            entries = [
                {"Id": str(index), "ReceiptHandle": self._held[message["MessageId"]]}
                for index, message in enumerate(chunk)
            ]
            response = self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
            failed = {int(entry["Id"]) for entry in response.get("Failed", [])}
            for index, message in enumerate(chunk):
                if index in failed:
                    not_deleted.append(message)
                else:
                    self._held.pop(message["MessageId"], None)
        return not_deleted
